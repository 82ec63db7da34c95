import type { Logger } from "../logger";

/**
 * Starts work whose caller does not wait for it (a fire-and-forget). Every such promise goes
 * through here so a rejection is logged with what was being done, instead of becoming an
 * unhandled rejection that would take the process down: a database hiccup in a disconnect path or
 * a metrics scrape must not kill the control plane.
 */
export function inBackground(log: Logger, what: string, work: () => Promise<unknown>, context?: Record<string, unknown>): void {
  let p: Promise<unknown>;
  try {
    p = work();
  } catch (err) {
    log.error({ err, ...context }, `${what} failed`);
    return;
  }
  p.catch((err) => log.error({ err, ...context }, `${what} failed`));
}
