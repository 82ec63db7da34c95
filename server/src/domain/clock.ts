/**
 * Time as the server's timed rules see it (scheduler, dispatcher backoff, leases, the database
 * health probe): tests pass a fake one to drive time without sleeping.
 */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // unref: a pending firing must not keep a stopping process alive.
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};
