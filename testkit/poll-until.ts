import { setTimeout as delay } from "node:timers/promises";

export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Named in the timeout error: "timed out after … waiting for <what>". */
  what?: string;
}

/**
 * Resolves with check()'s first truthy value; a throw from check() ends the wait at once. For code
 * that runs outside vitest (the process launchers, the bench) and for conditions with no event to
 * await, such as a child process becoming reachable. Tests use waitFor (wait-for.ts) instead.
 */
export async function pollUntil<T>(
  check: () => Promise<T> | T,
  { timeoutMs = 20_000, intervalMs = 25, what = "condition" }: PollOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}
