import { inject } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, newContext } from "./browser";
import { startStack, type Stack, type WorkerOptions } from "./stack";
import { DashboardApp } from "./app";

/** What an e2e file drives: a stack serving the session's dashboard build, and one browser page on it. */
export interface Dashboard {
  stack: Stack;
  browser: Browser;
  page: Page;
  app: DashboardApp;
  /** Uncaught errors the page has thrown so far; a file ends by expecting none. */
  pageErrors: readonly string[];
  /** Closes the browser, then stops the workers and the server. */
  close(): Promise<void>;
}

/**
 * Starts a stack with `workers` (and the server settings in `env`, on `port` if given) and Chromium
 * with one page, signed in as admin when `signedIn` (else at the sign-in screen). What it started is stopped again if a later step fails.
 */
export async function openDashboard({
  workers = [],
  signedIn = false,
  env,
  port,
}: {
  workers?: WorkerOptions[];
  signedIn?: boolean;
  env?: Record<string, string>;
  port?: number;
} = {}): Promise<Dashboard> {
  // Chromium starts while the server and workers do (~1-2 s of a file's set-up on two busy cores).
  const [started, launched] = await Promise.allSettled([startStack({ uiDist: inject("uiDist"), workers, env, port }), launchBrowser()]);
  if (started.status === "rejected" || launched.status === "rejected") {
    if (launched.status === "fulfilled") await launched.value.close();
    if (started.status === "fulfilled") await started.value.stop();
    throw started.status === "rejected" ? started.reason : (launched as PromiseRejectedResult).reason;
  }
  const stack = started.value;
  const browser = launched.value;
  try {
    const page = await (await newContext(browser, signedIn ? stack.adminKey : undefined)).newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    return {
      stack,
      browser,
      page,
      app: new DashboardApp(page, stack.url),
      pageErrors,
      async close() {
        await browser.close();
        await stack.stop();
      },
    };
  } catch (err) {
    await browser.close();
    await stack.stop();
    throw err;
  }
}
