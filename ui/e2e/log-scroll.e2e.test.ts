import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { Stack } from "./support/stack";
import type { DashboardApp } from "./support/app";
import { openDashboard, type Dashboard } from "./support/dashboard";
import { createShellRun } from "./support/api";

// Measures the page's frame times, so `npm test` runs this file alone (LATENCY_E2E_FILES in
// support/suite-config.ts); the rest of the run page's tests are in runs.e2e.test.ts.

let dashboard: Dashboard;
let stack: Stack;
let page: Page;
let app: DashboardApp;

beforeAll(async () => {
  dashboard = await openDashboard({ workers: [{ name: "e2e-runner", labels: { pool: "e2e" }, capacity: 4 }], signedIn: true });
  ({ stack, page, app } = dashboard);
});

afterAll(() => dashboard?.close());

describe("a long run log in the dashboard", () => {
  it("keeps a 100,000-line log smooth: virtualised rows, tail following and jump to latest", async () => {
    const run = await createShellRun(stack.url, stack.adminKey, `awk 'BEGIN{for(i=1;i<=100000;i++) printf "\\033[36mline\\033[0m %d\\n", i}'`);
    await app.goto(`/runs/${run.id}`);
    await app
      .logLineCount()
      .filter({ hasText: /^100,00\d lines$/ })
      .waitFor({ timeout: 90_000 });
    await expect(app.logLines().count()).resolves.toBeLessThan(200);
    await expect(page.getByText("following", { exact: true }).isVisible()).resolves.toBe(true);

    // Scroll up like a user: following stops and a jump button appears.
    await app.logScroller().hover();
    await page.mouse.wheel(0, -5000);
    await page.getByRole("button", { name: /Jump to latest/ }).waitFor();
    await expect(page.getByText("paused", { exact: true }).isVisible()).resolves.toBe(true);
    const frame = await page.evaluate(async () => {
      const el = document.querySelector<HTMLElement>("[data-log-scroller]")!;
      const times: number[] = [];
      // Twenty scroll steps first: the page is fresh (this file runs alone, before any other test
      // warmed it), and the first frames of a scroll pay for compiling the renderer's code paths.
      for (let i = 0; i < 20; i++) {
        el.scrollTop = Math.max(0, el.scrollTop - 30_000);
        await new Promise((r) => requestAnimationFrame(r));
      }
      el.scrollTop = el.scrollHeight;
      await new Promise((r) => requestAnimationFrame(r));
      let last = performance.now();
      for (let i = 0; i < 60; i++) {
        el.scrollTop = Math.max(0, el.scrollTop - 30_000);
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      times.sort((a, b) => a - b);
      return { p95: times[Math.floor(times.length * 0.95)]!, rows: document.querySelectorAll("[data-line]").length };
    });
    console.log(`log scroll: frame p95 ${frame.p95.toFixed(1)} ms, ${frame.rows} rows in the DOM`);
    expect(frame.rows).toBeLessThan(200);
    // Generous: 16–30 ms here with the production bundle; a frame budget miss on a busy 2-core CI box
    // is fine, seconds are not.
    expect(frame.p95).toBeLessThan(100);

    await page.getByRole("button", { name: /Jump to latest/ }).click();
    await page.locator('[data-line="100000"], [data-line="100001"]').first().waitFor();
    await expect(page.getByText("following", { exact: true }).isVisible()).resolves.toBe(true);
  });

  it("raised no uncaught errors in the page", () => {
    expect(dashboard.pageErrors).toEqual([]);
  });
});
