import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { freePort } from "../../testkit/free-port";
import { startTestIdentityProvider, type TestIdentityProvider } from "../../testkit/oidc-provider";
import { rpc, seedWorkspace } from "./support/api";
import { shoot } from "./support/screenshot";
import type { DashboardApp } from "./support/app";
import { openDashboard, type Dashboard } from "./support/dashboard";
import type { Stack } from "./support/stack";

let idp: TestIdentityProvider;
let dashboard: Dashboard;
let stack: Stack;
let page: Page;
let app: DashboardApp;

const switcher = () => page.getByRole("combobox", { name: "Workspace" });
const runRow = (id: string) => page.locator(`[data-run-id="${id}"]`);

beforeAll(async () => {
  idp = await startTestIdentityProvider();
  // The provider must know the server's redirect URI before the server exists: choose its port first.
  const port = await freePort();
  idp.allowRedirect(`http://127.0.0.1:${port}/auth/callback`);
  idp.addAccount({ email: "ada@example.com", name: "Ada Lovelace" });
  dashboard = await openDashboard({
    port,
    env: {
      ORCH_OIDC_ISSUER: idp.settings.issuer,
      ORCH_OIDC_CLIENT_ID: idp.settings.clientId,
      ORCH_OIDC_CLIENT_SECRET: idp.settings.clientSecret!,
      // Someone else is the instance admin, so Ada is an ordinary member.
      ORCH_ADMIN_EMAILS: "root@example.com",
    },
  });
  ({ stack, page, app } = dashboard);
});

afterAll(async () => {
  await dashboard?.close();
  await idp?.close();
});

describe("signing in with the identity provider", () => {
  it("signs in at the provider, lands in the dashboard, and sees only the workspaces the person is a member of", async () => {
    const lab = await seedWorkspace(stack.url, stack.adminKey, "e2e-lab");
    const ops = await seedWorkspace(stack.url, stack.adminKey, "e2e-ops");
    const hidden = await seedWorkspace(stack.url, stack.adminKey, "e2e-hidden");
    await rpc(stack.url, stack.adminKey, "WorkspaceService/AddMember", { workspaceId: lab.id, email: "ada@example.com", role: "ROLE_OPERATOR" });
    await rpc(stack.url, stack.adminKey, "WorkspaceService/AddMember", { workspaceId: ops.id, email: "ada@example.com", role: "ROLE_VIEWER" });

    // Straight to a page: the sign-in screen offers the provider, and brings the person back here.
    await app.goto("/runs");
    await page.getByRole("link", { name: "Sign in with your identity provider" }).waitFor();
    await shoot(page, "sign-in-provider");
    await page.getByRole("link", { name: "Sign in with your identity provider" }).click();
    // The provider's own login page (oidc-provider's), on its own origin.
    await page.waitForURL((u) => u.origin === idp.issuer);
    await page.locator('input[name="login"]').fill("ada@example.com");
    await page.locator('input[name="password"]').fill("any password");
    await page.getByRole("button", { name: "Sign-in" }).click();

    await page.waitForURL(`${stack.url}/runs`);
    await page.getByTestId("current-identity").getByText("Ada Lovelace").waitFor();
    // The first of her workspaces by name, with her role there.
    await runRow(lab.runId).waitFor();
    await expect(app.role().textContent()).resolves.toBe("operator");
    const options = await switcher().locator("option").allTextContents();
    expect(options).toEqual(["e2e-lab", "e2e-ops"]);
    expect(await runRow(hidden.runId).count()).toBe(0);

    // The session is a cookie the page's scripts cannot read; only the CSRF token is readable.
    const cookies = await page.context().cookies(stack.url);
    const session = cookies.find((c) => c.name === "fc_session")!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe("Lax");
    expect(await page.evaluate(() => document.cookie)).not.toContain("fc_session");
    expect(await page.evaluate(() => localStorage.getItem("flightcontrol.apiKey"))).toBeNull();

    // In the workspace where she is a viewer, the dashboard offers nothing she may not do.
    await switcher().selectOption({ label: "e2e-ops" });
    await runRow(ops.runId).waitFor();
    await runRow(lab.runId).waitFor({ state: "detached" });
    await expect(app.role().textContent()).resolves.toBe("viewer");
    expect(await page.getByRole("link", { name: "+ New run" }).count()).toBe(0);

    // A reload keeps the session and the workspace.
    await page.reload();
    await runRow(ops.runId).waitFor();

    // Signing out ends the session on the server: a reload shows the sign-in screen again.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("link", { name: "Sign in with your identity provider" }).waitFor();
    await page.reload();
    await page.getByRole("link", { name: "Sign in with your identity provider" }).waitFor();
    expect((await page.context().cookies(stack.url)).some((c) => c.name === "fc_session")).toBe(false);
    expect(dashboard.pageErrors).toEqual([]);
  });
});
