/**
 * How long the agent worker waits before dialling the server again: exponential backoff with full
 * jitter (a uniformly random wait up to the cap), so a fleet that lost the server at once does not
 * come back at once.
 */
export function reconnectDelayMs(failures: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  // The exponent is clamped so that a long outage cannot overflow to Infinity before the min().
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(failures, 16));
  return random() * cap;
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no listener or timer behind either way. */
export function waitUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    // Removed when the wait ends, or every reconnect attempt would leave a listener behind.
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
