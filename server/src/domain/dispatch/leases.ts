import { create } from "@bufbuild/protobuf";
import { ConnectResponseSchema } from "../../gen/flightcontrol/v1/worker_pb";
import type { Logger } from "../../logger";
import type { RunStore } from "../../storage/run-store";
import type { Lifecycle } from "../runs/lifecycle";
import type { Registry, WorkerSession } from "./registry";

export interface LeaseDeps {
  runs: RunStore;
  registry: Registry;
  lifecycle: Lifecycle;
  log: Logger;
  kick(): void;
  /** Called when a worker is declared lost, after its runs were dealt with. */
  onWorkerLost(workerId: string): void;
  workerLostAfterMs: number;
  assignAckTimeoutMs: number;
  deadlineGraceMs: number;
}

export const cancelMessage = (runId: string, reason: string, abandon: boolean) =>
  create(ConnectResponseSchema, { message: { case: "cancel", value: { runId, reason, abandon } } });

/**
 * Every time-based rule of the worker protocol, as one timer per thing that can expire: an
 * assignment awaiting RunStarted, a running run's deadline, a worker that went quiet or away.
 */
export function createLeases(deps: LeaseDeps) {
  const { runs, registry, lifecycle, log } = deps;
  const ackTimers = new Map<string, NodeJS.Timeout>();
  const deadlineTimers = new Map<string, NodeJS.Timeout>();
  const workerTimers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  const set = (map: Map<string, NodeJS.Timeout>, key: string, ms: number, fn: () => Promise<void>) => {
    clearTimeout(map.get(key));
    if (stopped) return;
    const t = setTimeout(() => {
      map.delete(key);
      fn().catch((err) => log.error({ err, key }, "lease expiry failed"));
    }, Math.max(0, ms));
    t.unref();
    map.set(key, t);
  };
  const clear = (map: Map<string, NodeJS.Timeout>, key: string) => {
    clearTimeout(map.get(key));
    map.delete(key);
  };

  /** Takes a run away from whichever session holds it, telling the worker to drop it. */
  function revoke(runId: string, reason: string) {
    const holder = registry.holderOf(runId);
    if (!holder) return;
    registry.release(holder, runId);
    holder.sendQueue.push(cancelMessage(runId, reason, true));
  }

  function assigned(runId: string, attempt: number) {
    const sentAt = Date.now();
    set(ackTimers, runId, deps.assignAckTimeoutMs, async () => {
      // A worker that has sent nothing since the Assign may be cut off and about to fence itself: that
      // is the lost-worker lease's call, which comes late enough for the fence to have landed. This
      // timer only catches a worker that is demonstrably alive yet never starts the run.
      const holder = registry.holderOf(runId);
      if (!holder || holder.lastSeen <= sentAt) return;
      const row = await runs.get(runId);
      if (!row || row.status !== "assigned" || row.attempt !== attempt) return;
      const reason = `worker ${row.workerName} did not start the run within ${deps.assignAckTimeoutMs} ms`;
      revoke(runId, reason);
      await lifecycle.endAttempt(row, "lost", reason, false);
      deps.kick();
    });
  }

  function started(runId: string, attempt: number, deadlineAt: number) {
    clear(ackTimers, runId);
    set(deadlineTimers, runId, deadlineAt + deps.deadlineGraceMs - Date.now(), async () => {
      const row = await runs.get(runId);
      if (!row || row.status !== "running" || row.attempt !== attempt) return;
      const reason = `run exceeded its ${row.timeoutSeconds} s timeout and the worker did not report`;
      revoke(runId, reason);
      await lifecycle.endAttempt(row, "timed_out", reason, true);
      deps.kick();
    });
  }

  function finished(runId: string) {
    clear(ackTimers, runId);
    clear(deadlineTimers, runId);
  }

  /** (Re)arms the lost-worker lease: it expires workerLostAfterMs after the worker was last heard. */
  function watchWorker(workerId: string, lastSeen: number) {
    set(workerTimers, workerId, lastSeen + deps.workerLostAfterMs - Date.now(), async () => {
      const session = registry.get(workerId);
      if (session && Date.now() - session.lastSeen < deps.workerLostAfterMs) {
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
      // are requeued now: it must store nothing and finish nothing.
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
    for (const w of workers) if (!registry.get(w)) watchWorker(w, Date.now());
    for (const row of held) {
      if (row.status === "running" && row.deadlineAt) started(row.id, row.attempt, row.deadlineAt);
    }
    return held.length;
  }

  return {
    assigned,
    started,
    finished,
    watchWorker,
    forgetWorker: (workerId: string) => clear(workerTimers, workerId),
    recover,
    revoke,
    stop() {
      stopped = true;
      for (const m of [ackTimers, deadlineTimers, workerTimers]) {
        for (const t of m.values()) clearTimeout(t);
        m.clear();
      }
    },
  };
}

export type Leases = ReturnType<typeof createLeases>;
