import { systemClock, type Clock } from "../domain/clock";
import { unavailable, type DomainError } from "../domain/errors";
import { databaseOutage } from "./database-errors";

export type DatabaseStatus = { available: true } | { available: false; error: DomainError; since: number };

export interface DatabaseHealthOptions {
  clock?: Clock;
  /** Delay before the first probe once an outage is seen; it doubles after each failed probe… */
  firstProbeMs?: number;
  /** …up to this. */
  maxProbeMs?: number;
}

/**
 * Whether the database can serve. While it can, nothing is probed: the first outage error a query
 * meets (passed through `classify`) marks it down. While it is down, one probe at a time runs with
 * exponential backoff until one succeeds; then every listener hears that it is back, so what could
 * not be stored is retried then (and not in a loop meanwhile). The probe is set by whoever owns the
 * connection (data-source.ts): for SQLite it must write, since a full disk still serves reads.
 */
export function createDatabaseHealth(opts: DatabaseHealthOptions = {}) {
  const clock = opts.clock ?? systemClock;
  const firstProbeMs = opts.firstProbeMs ?? 250;
  const maxProbeMs = opts.maxProbeMs ?? 5_000;
  const listeners = new Set<(s: DatabaseStatus) => void>();
  let probe: (() => Promise<unknown>) | undefined;
  let status: DatabaseStatus = { available: true };
  let timer: unknown;
  let delay = firstProbeMs;
  let stopped = false;

  function change(next: DatabaseStatus) {
    status = next;
    for (const listener of [...listeners]) listener(next);
  }

  function schedule() {
    if (stopped) return;
    timer = clock.setTimer(() => void runProbe(), delay);
    delay = Math.min(delay * 2, maxProbeMs);
  }

  async function runProbe() {
    timer = undefined;
    if (stopped || status.available || !probe) return;
    try {
      await probe();
    } catch (err) {
      // Still down: keep the newest reason (it is what /readyz shows), probe again later.
      if (!status.available) status = { ...status, error: databaseOutage(err) ?? unavailable(`the database probe failed: ${String(err)}`, err) };
      schedule();
      return;
    }
    change({ available: true });
  }

  function failed(error: DomainError) {
    if (!status.available) {
      status = { ...status, error };
      return;
    }
    change({ available: false, error, since: clock.now() });
    delay = firstProbeMs;
    schedule();
  }

  return {
    get status(): DatabaseStatus {
      return status;
    },
    /** Passes on a failed query's error: an outage becomes an `unavailable` DomainError and marks the database down. */
    classify(err: unknown): unknown {
      const outage = databaseOutage(err);
      if (!outage) return err;
      failed(outage);
      return outage;
    },
    /** The query that proves the database serves again; it must fail the way real writes fail. */
    setProbe(fn: () => Promise<unknown>) {
      probe = fn;
    },
    /** Listeners hear each change (down, back up); they must not throw. Returns the unsubscribe. */
    onChange(listener: (s: DatabaseStatus) => void): () => void {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    stop() {
      stopped = true;
      clock.clearTimer(timer);
    },
  };
}

export type DatabaseHealth = ReturnType<typeof createDatabaseHealth>;
