import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";

/**
 * Where the screenshots go: the README's folder with ORCH_TEST_SCREENSHOTS=1 (`npm run screenshots`),
 * else a scratch folder, so that a test run takes them (and fails if it cannot) without rewriting
 * tracked files on every `npm test`.
 */
export const SCREENSHOT_DIR =
  process.env.ORCH_TEST_SCREENSHOTS === "1"
    ? fileURLToPath(new URL("../../../docs/screenshots/", import.meta.url))
    : `${join(tmpdir(), "flightcontrol-screenshots")}/`;
mkdirSync(SCREENSHOT_DIR, { recursive: true });

/** Writes docs/screenshots/<name>.png once the page is still: fonts loaded, nothing hovered, no spinner. */
export async function shoot(p: Page, name: string): Promise<void> {
  await p.mouse.move(1279, 799);
  await p.evaluate(() => document.fonts.ready.then(() => undefined));
  await p.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
  await p.locator('[role="status"]:has(.animate-spin)').waitFor({ state: "detached" });
  await p.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, animations: "disabled", caret: "hide" });
}
