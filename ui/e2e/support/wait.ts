import { setTimeout as delay } from "node:timers/promises";

/**
 * Re-checks a condition that has no event to await (a process becoming reachable), with a
 * short growing delay, and fails with what it was waiting for.
 */
export async function waitUntil(check: () => Promise<boolean> | boolean, { what, timeoutMs = 30_000 }: { what: string; timeoutMs?: number }): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let wait = 25;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(wait);
    wait = Math.min(wait * 2, 500);
  }
}
