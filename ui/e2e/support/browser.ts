import { chromium, type Browser, type BrowserContext } from "playwright-core";

// Debian's Chromium, not a downloaded build; these flags keep it quiet and offline.
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.ORCH_TEST_CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** A fresh browser profile, optionally already signed in with `apiKey`. */
export async function newContext(browser: Browser, apiKey?: string): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  if (apiKey) await ctx.addInitScript((k) => localStorage.setItem("flightcontrol.apiKey", k), apiKey);
  return ctx;
}
