import type { Logger } from "../../logger";
import { inBackground } from "../background";
import { isDomainError } from "../errors";

/** The part of the database health monitor (storage/database-health.ts) the domain listens to. */
export interface DatabaseAvailability {
  readonly status: { available: boolean };
  onChange(listener: (s: { available: boolean }) => void): () => void;
}

/** The database could not serve (storage raised `unavailable`): the same work will succeed later. */
export const isOutage = (err: unknown): boolean => isDomainError(err) && err.kind === "unavailable";

/** Starts background work that must not be lost to a database outage. */
export type Background = (what: string, work: () => Promise<unknown>, context?: Record<string, unknown>) => void;

/**
 * Background work that outlives a database outage: `run` starts it like inBackground, and if it
 * fails because the database is unavailable it runs again, from the start, once the database is
 * back (the health monitor's event, nothing polls). The work must therefore be safe to repeat:
 * every state change in it is a guarded UPDATE, and it re-checks what it acts on. Other failures
 * are logged, as inBackground does.
 */
export function createOutageRetry(health: DatabaseAvailability, log: Logger) {
  const waiting: Array<() => void> = [];
  const off = health.onChange((s) => {
    if (!s.available) return;
    for (const again of waiting.splice(0)) again();
  });

  const run: Background = (what, work, context) => {
    const attempt = () =>
      inBackground(
        log,
        what,
        async () => {
          try {
            await work();
          } catch (err) {
            if (!isOutage(err)) throw err;
            log.warn({ ...context, reason: (err as Error).message }, `${what}: the database is unavailable; will retry when it is back`);
            // The probe may have seen the database come back while this attempt was failing: then no
            // event is coming. Retry after a pause rather than at once, so nothing can spin.
            if (health.status.available) setTimeout(attempt, 1000).unref();
            else waiting.push(attempt);
          }
        },
        context,
      );
    attempt();
  };

  return {
    run,
    /** Work waiting for the database to come back. */
    get waiting() {
      return waiting.length;
    },
    stop() {
      off();
      waiting.length = 0;
    },
  };
}

export type OutageRetry = ReturnType<typeof createOutageRetry>;
