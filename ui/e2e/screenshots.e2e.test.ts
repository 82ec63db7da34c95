import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { SCREENSHOT_DIR, shoot } from "./support/screenshot";
import { newContext } from "./support/browser";
import type { Stack } from "./support/stack";
import type { DashboardApp } from "./support/app";
import { openDashboard, type Dashboard } from "./support/dashboard";
import { rpc } from "./support/api";
import { seedDemo, type DemoData } from "./support/demo-data";

// Regenerates the README's screenshots on every e2e run: one PNG per page, 1280×800 (the Changes
// and Artifacts tabs are shot by work-product.e2e.test.ts, which has a repository to run on).
const DEMO_GOOSE = fileURLToPath(new URL("./fixtures/demo-goose", import.meta.url));

let dashboard: Dashboard;
let stack: Stack;
let browser: Browser;
let page: Page;
let app: DashboardApp;
let demo: DemoData;

beforeAll(async () => {
  const env = { ORCH_GOOSE_BIN: DEMO_GOOSE };
  dashboard = await openDashboard({
    workers: [
      { name: "agents-eu-1", labels: { pool: "agents", region: "eu-west" }, capacity: 4, env },
      { name: "build-2", capacity: 2, env },
    ],
    signedIn: true,
  });
  ({ stack, browser, page, app } = dashboard);
  demo = await seedDemo(stack.url, stack.adminKey);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
});

afterAll(() => dashboard?.close());

async function live(): Promise<void> {
  await page.locator('[data-stream-status="live"]').first().waitFor();
}

describe("README screenshots", () => {
  it("sign-in", async () => {
    const ctx = await newContext(browser);
    const p = await ctx.newPage();
    await p.goto(stack.url);
    await p.getByLabel("API key").fill(stack.adminKey);
    await shoot(p, "sign-in");
    await ctx.close();
  });

  it("dashboard", async () => {
    await app.goto("/");
    await live();
    await page.locator('[data-stat="Running"]', { hasText: "1" }).waitFor();
    for (const s of ["queued", "running", "succeeded", "failed", "cancelled"])
      await page.locator(`[data-run-id] [data-status="${s}"]`).first().waitFor();
    await shoot(page, "dashboard");
  });

  it("runs", async () => {
    await app.goto("/runs");
    await live();
    await page.locator(`[data-run-id="${demo.runs.smoke}"]`).waitFor();
    await shoot(page, "runs");
  });

  it("run detail: logs", async () => {
    await app.goto(`/runs/${demo.runs.smoke}`);
    await app.waitForRunStatus("succeeded");
    await page.locator("[data-line]", { hasText: "all endpoints healthy" }).waitFor();
    await shoot(page, "run-logs");
  });

  it("run detail: agent", async () => {
    await app.goto(`/runs/${demo.runs.flaky}`);
    await app.waitForRunStatus("succeeded");
    await page.getByRole("tab", { name: /^Agent/ }).click();
    const call = page.locator("[data-tool-call]").nth(1);
    await call.getByRole("button").click();
    await call.getByTestId("tool-result").waitFor();
    await shoot(page, "run-agent");
  });

  it("jobs", async () => {
    await app.goto("/jobs");
    await page.locator(`[data-job-id="${demo.jobs.notes}"]`).waitFor();
    await shoot(page, "jobs");
  });

  it("job detail", async () => {
    await app.goto(`/jobs/${demo.jobs.flaky}`);
    await page.getByTestId("schedule-table").waitFor();
    await page.getByTestId("run-table").locator('[data-status="succeeded"]').nth(1).waitFor();
    await page.getByTestId("job-spec").getByText("Anthropic", { exact: true }).waitFor();
    await shoot(page, "job-detail");
  });

  it("new run", async () => {
    await app.goto(`/runs/new?job=${demo.jobs.flaky}`);
    await expect.poll(() => app.field("spec.prompt").locator("textarea").inputValue()).toContain("acme/payments-service");
    await page.getByRole("group", { name: "Credentials" }).getByRole("checkbox", { checked: true }).nth(1).waitFor();
    await shoot(page, "new-run");
  });

  it("workers", async () => {
    await app.goto("/workers");
    await live();
    await page.locator("[data-worker-name='agents-eu-1']").getByRole("link").first().waitFor();
    await page.locator("[data-worker-name='build-2']").waitFor();
    await shoot(page, "workers");
  });

  it("schedules", async () => {
    await app.goto("/schedules");
    await page.locator("[data-schedule-id]", { hasText: "Monday report" }).getByText("paused").waitFor();
    await page.getByRole("link", { name: "Triage flaky tests" }).waitFor();
    await shoot(page, "schedules");
  });

  it("credentials", async () => {
    await app.goto("/credentials");
    await page.locator("[data-credential-id]", { hasText: "GitHub" }).waitFor();
    await shoot(page, "credentials");
  });

  it("api keys", async () => {
    await app.goto("/api-keys");
    await page.locator("[data-api-key-id]", { hasText: "grafana" }).waitFor();
    await shoot(page, "api-keys");
  });

  it("raised no uncaught errors in the page", async () => {
    // The running review would otherwise hold its worker's drain at shutdown.
    await rpc(stack.url, stack.adminKey, "RunService/CancelRun", { id: demo.runs.running });
    expect(dashboard.pageErrors).toEqual([]);
  });
});
