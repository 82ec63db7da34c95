import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";

/** Where the README's screenshots live. */
export const SCREENSHOT_DIR = fileURLToPath(new URL("../../../docs/screenshots/", import.meta.url));

/** Writes docs/screenshots/<name>.png once the page is still: fonts loaded, nothing hovered, no spinner. */
export async function shoot(p: Page, name: string): Promise<void> {
  await p.mouse.move(1279, 799);
  await p.evaluate(() => document.fonts.ready.then(() => undefined));
  await p.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
  await p.locator('[role="status"]:has(.animate-spin)').waitFor({ state: "detached" });
  await p.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, animations: "disabled", caret: "hide" });
}
