import type { Logger } from "../../logger";
import type { RunStore } from "../../storage/run-store";
import { systemClock, type Clock } from "../clock";
import type { Lifecycle } from "../runs/lifecycle";
import { cancelMessage } from "./messages";
import type { Background } from "./outage-retry";
import type { Registry, WorkerSession } from "./registry";

export interface LeaseDeps {
  runs: RunStore;
  registry: Registry;
  lifecycle: Lifecycle;
  log: Logger;
  kick(): void;
  /** Called when a worker is declared lost, after its runs were dealt with. */
  onWorkerLost(workerId: string): void;
  /**
   * Runs an expiry. It is safe to repeat (it re-reads what it acts on), so one that meets a database
   * outage can run again once the database is back (outage-retry.ts); otherwise a silent worker
   * whose lease expired mid-outage would keep its runs forever.
   */
  background: Background;
  clock?: Clock;
  workerLostAfterMs: number;
  assignAckTimeoutMs: number;
  deadlineGraceMs: number;
}

/**
 * Every time-based rule of the worker protocol, as one timer per thing that can expire: an
 * assignment awaiting RunStarted, a running run's deadline, a worker that went quiet or away.
 */
export function createLeases(deps: LeaseDeps) {
  const { runs, registry, lifecycle, log } = deps;
  const clock = deps.clock ?? systemClock;
  const ackTimers = new Map<string, unknown>();
  const deadlineTimers = new Map<string, unknown>();
  const workerTimers = new Map<string, unknown>();
  let stopped = false;

  const set = (map: Map<string, unknown>, key: string, ms: number, what: string, fn: () => Promise<void>) => {
    clock.clearTimer(map.get(key));
    if (stopped) return;
    const t = clock.setTimer(
      () => {
        map.delete(key);
        deps.background(what, fn, { key });
      },
      Math.max(0, ms),
    );
    map.set(key, t);
  };
  const clear = (map: Map<string, unknown>, key: string) => {
    clock.clearTimer(map.get(key));
    map.delete(key);
  };

  /** Takes a run away from whichever session holds it, telling the worker to drop it. */
  function revoke(runId: string, reason: string) {
    const holder = registry.holderOf(runId);
    if (!holder) return;
    registry.release(holder, runId);
    holder.sendQueue.push(cancelMessage(runId, reason, true));
  }

  /*
   * In the expiries below the attempt is ended in the database before the worker is told to drop
   * the run: if the write fails (database down), the worker keeps running it and the expiry runs
   * again once the database is back, instead of an agent being killed for a run nobody requeued.
   */

  function assigned(runId: string, attempt: number) {
    const sentAt = clock.now();
    set(ackTimers, runId, deps.assignAckTimeoutMs, "expire an unacknowledged assignment", async () => {
      // A worker that has sent nothing since the Assign may be cut off and about to fence itself: that
      // is the lost-worker lease's call, which comes late enough for the fence to have landed. This
      // timer only catches a worker that is demonstrably alive yet never starts the run.
      const holder = registry.holderOf(runId);
      if (!holder || holder.lastSeen <= sentAt || holder.runs.get(runId) !== attempt) return;
      const row = await runs.get(runId);
      if (row?.status !== "assigned" || row.attempt !== attempt) return;
      const reason = `worker ${row.workerName} did not start the run within ${deps.assignAckTimeoutMs} ms`;
      await lifecycle.endAttempt(row, "lost", reason, false);
      revoke(runId, reason);
      deps.kick();
    });
  }

  /** The worker said it started the run: the assignment lease is over, whether or not the start is stored yet. */
  function acknowledged(runId: string) {
    clear(ackTimers, runId);
  }

  function started(runId: string, attempt: number, deadlineAt: number) {
    clear(ackTimers, runId);
    set(deadlineTimers, runId, deadlineAt + deps.deadlineGraceMs - clock.now(), "enforce a run's deadline", async () => {
      const row = await runs.get(runId);
      if (row?.status !== "running" || row.attempt !== attempt) return;
      const reason = `run exceeded its ${row.timeoutSeconds} s timeout and the worker did not report`;
      await lifecycle.endAttempt(row, "timed_out", reason, true);
      revoke(runId, reason);
      deps.kick();
    });
  }

  function finished(runId: string) {
    clear(ackTimers, runId);
    clear(deadlineTimers, runId);
  }

  /** (Re)arms the lost-worker lease: it expires workerLostAfterMs after the worker was last heard. */
  function watchWorker(workerId: string, lastSeen: number) {
    set(workerTimers, workerId, lastSeen + deps.workerLostAfterMs - clock.now(), "expire a lost worker's lease", async () => {
      const session = registry.get(workerId);
      if (session && clock.now() - session.lastSeen < deps.workerLostAfterMs) {
        watchWorker(workerId, session.lastSeen);
        return;
      }
      await workerLost(workerId, session);
    });
  }

  async function workerLost(workerId: string, session: WorkerSession | undefined) {
    if (session) {
      registry.remove(session);
      // Whatever this session still sends (a half-open connection that resumes) concerns attempts that
      // are requeued now: it must store nothing and finish nothing. Should the requeue below fail, the
      // expiry runs again later and finds no session: the runs are requeued then, or reclaimed by the
      // worker's next Hello if it is back first.
      session.runs.clear();
      session.sendQueue.close();
    }
    const held = await runs.held(workerId);
    log.warn({ workerId, runs: held.length }, "worker lost; requeueing its runs");
    for (const row of held) {
      finished(row.id);
      await lifecycle.endAttempt(row, "lost", `worker ${row.workerName} was lost`, false);
    }
    deps.onWorkerLost(workerId);
    deps.kick();
  }

  /** After a server restart: every held run's worker gets a full lease to reconnect and claim it. */
  async function recover() {
    const held = await runs.held();
    const workers = new Set(held.map((r) => r.workerId).filter((w): w is string => Boolean(w)));
    for (const w of workers) if (!registry.get(w)) watchWorker(w, clock.now());
    for (const row of held) {
      if (row.status === "running" && row.deadlineAt) started(row.id, row.attempt, row.deadlineAt);
    }
    return held.length;
  }

  return {
    assigned,
    acknowledged,
    started,
    finished,
    watchWorker,
    forgetWorker: (workerId: string) => clear(workerTimers, workerId),
    recover,
    revoke,
    stop() {
      stopped = true;
      for (const m of [ackTimers, deadlineTimers, workerTimers]) {
        for (const t of m.values()) clock.clearTimer(t);
        m.clear();
      }
    },
  };
}

export type Leases = ReturnType<typeof createLeases>;
