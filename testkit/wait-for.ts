import { vi } from "vitest";
import type { PollOptions } from "./poll-until";

/**
 * vi.waitUntil with what end-to-end tests need: a default timeout for processes and the network
 * (vitest's is 1 s), and a timeout error that says what was awaited. Resolves with check()'s first
 * truthy value; a throw from check() ends the wait at once with that error.
 */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  { timeoutMs = 20_000, intervalMs = 25, what = "condition" }: PollOptions = {},
): Promise<NonNullable<T>> {
  try {
    return (await vi.waitUntil(check, { timeout: timeoutMs, interval: intervalMs })) as NonNullable<T>;
  } catch (err) {
    if (err instanceof Error && err.message === "Timed out in waitUntil!") {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: err });
    }
    throw err;
  }
}
