import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { Stack } from "./support/stack";
import type { DashboardApp } from "./support/app";
import { openDashboard, type Dashboard } from "./support/dashboard";
import { rpc, seedWorkspace } from "./support/api";
import { shoot } from "./support/screenshot";

let dashboard: Dashboard;
let stack: Stack;
let page: Page;
let app: DashboardApp;

const runRow = (id: string) => page.locator(`[data-run-id="${id}"]`);
const switcher = () => page.getByRole("combobox", { name: "Workspace" });

beforeAll(async () => {
  dashboard = await openDashboard();
  ({ stack, page, app } = dashboard);
});

afterAll(() => dashboard?.close());

describe("workspaces in the dashboard", () => {
  it("switches between workspaces, showing only the chosen one's runs and jobs, and manages members", async () => {
    const red = await seedWorkspace(stack.url, stack.adminKey, "e2e-red");
    const blue = await seedWorkspace(stack.url, stack.adminKey, "e2e-blue");

    await app.signIn(stack.adminKey);
    await app.role().getByText("admin").waitFor();
    // The bootstrap key is an instance admin: it sees every workspace and may manage them.
    await app.nav().getByRole("link", { name: "Workspaces" }).waitFor();
    await switcher().selectOption({ label: "e2e-red" });
    await page.getByTestId("dashboard-workspace").getByText("e2e-red").waitFor();

    await app.goto("/runs");
    await runRow(red.runId).waitFor();
    expect(await runRow(blue.runId).count()).toBe(0);

    await switcher().selectOption({ label: "e2e-blue" });
    await runRow(blue.runId).waitFor();
    await runRow(red.runId).waitFor({ state: "detached" });
    await expect(page.getByTestId("run-table").locator("[data-run-id]").count()).resolves.toBe(1);

    await app.goto("/jobs");
    await page.locator(`[data-job-id="${blue.jobId}"]`).waitFor();
    expect(await page.locator(`[data-job-id="${red.jobId}"]`).count()).toBe(0);

    // The choice survives a reload.
    await page.reload();
    await page.locator(`[data-job-id="${blue.jobId}"]`).waitFor();
    await expect(switcher().inputValue()).resolves.toBe(blue.id);

    // A member added on the page belongs to the workspace it was added in.
    await app.goto("/members");
    await page.getByRole("textbox", { name: "Email" }).fill("grace@example.com");
    await page.getByRole("combobox", { name: "Role", exact: true }).selectOption({ label: "operator" });
    await page.getByRole("button", { name: "Add member" }).click();
    const row = page.locator('[data-member="grace@example.com"]');
    await row.waitFor();
    await expect(row.getByRole("combobox").inputValue()).resolves.toBe("2");
    const inBlue = await rpc<{ members?: { email: string; role: string }[] }>(stack.url, stack.adminKey, "WorkspaceService/ListMembers", {
      workspaceId: blue.id,
    });
    expect(inBlue.members).toEqual([expect.objectContaining({ email: "grace@example.com", role: "ROLE_OPERATOR" })]);
    const inRed = await rpc<{ members?: unknown[] }>(stack.url, stack.adminKey, "WorkspaceService/ListMembers", { workspaceId: red.id });
    expect(inRed.members ?? []).toEqual([]);
    await shoot(page, "members");

    // The instance admin's page of every workspace, with their limits.
    await app.goto("/workspaces");
    await page.getByTestId("workspace-table").getByText("e2e-red").waitFor();
    await shoot(page, "workspaces");

    expect(dashboard.pageErrors).toEqual([]);
  });
});
