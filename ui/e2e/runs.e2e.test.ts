import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { Stack } from "./support/stack";
import type { DashboardApp } from "./support/app";
import { openDashboard, type Dashboard } from "./support/dashboard";
import { createShellRun, rpc, type RunJson } from "./support/api";

let dashboard: Dashboard;
let stack: Stack;
let page: Page;
let app: DashboardApp;

beforeAll(async () => {
  // Not signed in: the first test signs in through the form.
  dashboard = await openDashboard({ workers: [{ name: "e2e-runner", labels: { pool: "e2e" }, capacity: 4 }] });
  ({ stack, page, app } = dashboard);
});

afterAll(() => dashboard?.close());

describe("runs in the dashboard", () => {
  it("refuses a wrong key, then signs in and shows the role", async () => {
    await app.signIn("not-a-key");
    await expect(page.getByRole("alert").textContent()).resolves.toContain("not accepted");
    await app.signIn(stack.adminKey);
    await app.role().filter({ hasText: "admin" }).waitFor();
    await page.getByText("Queue depth").waitFor();
  });

  it("streams a shell run's output live with ANSI colours and downloads the whole log", async () => {
    const runId = await app.queueRun({
      agent: "shell",
      prompt: `for i in $(seq 1 300); do printf '\\033[31mred %d\\033[0m plain\\n' $i; done; echo to-stderr >&2`,
      requiredLabels: { pool: "e2e" },
    });
    await app.waitForRunStatus("succeeded");
    await app
      .logLineCount()
      .filter({ hasText: /^30\d lines$/ })
      .waitFor();
    await expect(page.getByTestId("run-worker").textContent()).resolves.toContain("e2e-runner");
    await expect(page.getByTestId("run-attempt").textContent()).resolves.toContain("attempt 1 of 1");
    // Each lifecycle step of the timeline has a time.
    for (const step of ["created", "assigned", "started", "finished"]) {
      await expect(page.locator(`[data-step="${step}"] time`).count()).resolves.toBe(1);
    }
    // Following the tail: the last lines are on screen, coloured.
    const red = page.locator("[data-line] .ansi-red-fg", { hasText: "red 300" });
    await red.waitFor();
    await expect(red.evaluate((el) => getComputedStyle(el).color)).resolves.toBe("rgb(248, 113, 113)");
    await expect(page.locator('[data-kind="stderr"]', { hasText: "to-stderr" }).count()).resolves.toBe(1);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download .txt" }).click()]);
    expect(download.suggestedFilename()).toBe(`run-${runId}.txt`);
    const text = await readFile((await download.path())!, "utf8");
    for (let i = 1; i <= 300; i++) expect(text).toContain(`red ${i} plain`);
    expect(text).not.toContain("\u001b[");
  });

  it("shows a run queued elsewhere without a reload, and follows it to the end", async () => {
    await app.goto("/runs");
    await page.getByRole("heading", { name: "Runs" }).waitFor();
    await page.locator('[data-stream-status="live"]').waitFor();
    const run = await createShellRun(stack.url, stack.adminKey, "echo from-the-api; sleep 1; echo bye");
    const row = page.locator(`[data-run-id="${run.id}"]`);
    await row.waitFor();
    await row.locator('[data-status="succeeded"]').waitFor({ timeout: 30_000 });
  });

  it("cancels a running run and retries it as a new run", async () => {
    const run = await createShellRun(stack.url, stack.adminKey, "echo started; sleep 120");
    await app.goto(`/runs/${run.id}`);
    await app.waitForRunStatus("running");
    await page.getByRole("button", { name: "Cancel", exact: true }).click();
    await page.getByRole("button", { name: "Cancel this run?" }).click();
    await app.waitForRunStatus("cancelled", 45_000);
    await page.getByRole("button", { name: "Retry" }).click();
    await page.waitForURL((u) => /\/runs\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(run.id));
    await page.getByRole("link", { name: /^retry of / }).waitFor();
    const retryId = page.url().split("/").at(-1)!;
    const { run: retried } = await rpc<{ run: RunJson & { retryOfRunId: string } }>(stack.url, stack.adminKey, "RunService/GetRun", { id: retryId });
    expect(retried.retryOfRunId).toBe(run.id);
    await rpc(stack.url, stack.adminKey, "RunService/CancelRun", { id: retryId });
  });

  it("shows the server's validation errors next to the fields", async () => {
    await app.goto("/runs/new");
    await app.fillSpec({ agent: "shell", prompt: "", requiredLabels: { "bad key!": "x" }, maxAttempts: 50 });
    await page.getByRole("button", { name: "Queue run" }).click();
    await app.fieldError("spec.prompt").waitFor();
    await expect(app.fieldError("spec.prompt").textContent()).resolves.toMatch(/at least 1 character/);
    await expect(app.fieldError("spec.max_attempts").textContent()).resolves.toMatch(/20/);
    await expect(app.fieldError("spec.required_labels").textContent()).resolves.toMatch(/bad key!/);
    await expect(app.field("spec.prompt").locator("textarea").getAttribute("aria-invalid")).resolves.toBe("true");
    expect(page.url()).toMatch(/\/runs\/new$/);
  });

  it("updates the dashboard's stats live when runs finish", async () => {
    await app.goto("/");
    const succeeded = page.locator('[data-stat="Succeeded · 1h"]');
    await succeeded.waitFor();
    const before = Number((await succeeded.textContent())!.replace(/,/g, ""));
    await createShellRun(stack.url, stack.adminKey, "echo quick");
    await page.waitForFunction((n) => Number(document.querySelector('[data-stat="Succeeded · 1h"]')?.textContent?.replace(/,/g, "")) > n, before, {
      timeout: 30_000,
    });
  });

  it("raised no uncaught errors in the page", () => {
    expect(dashboard.pageErrors).toEqual([]);
  });
});
