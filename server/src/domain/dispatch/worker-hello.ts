import type { ConnectResponse, Hello } from "../../gen/flightcontrol/v1/worker_pb";
import type { Logger } from "../../logger";
import type { RunStore } from "../../storage/run-store";
import type { Clock } from "../clock";
import { alreadyExists } from "../errors";
import type { EventBus } from "../events";
import { createSendQueue } from "../../../../shared-src/send-queue";
import type { Lifecycle } from "../runs/lifecycle";
import type { Leases } from "./leases";
import { cancelMessage, logAck, workerMessage } from "./messages";
import type { Registry, WorkerSession } from "./registry";
import type { WorkerRecords } from "./worker-records";

/** What the Welcome tells a worker. */
export interface HelloSettings {
  heartbeatIntervalMs: number;
  workerLostAfterMs: number;
  flushIntervalMs: number;
  flushBytes: number;
}

export interface WorkerHelloDeps extends HelloSettings {
  runs: RunStore;
  workers: WorkerRecords;
  registry: Registry;
  dispatcher: { kick(): void };
  leases: Leases;
  lifecycle: Lifecycle;
  events: EventBus;
  log: Logger;
  clock: Clock;
}

/**
 * A session's start: the Hello registers the worker (its row keeps its id across reconnects), the
 * runs it reports are matched against the ones the database says it holds, and the Welcome goes
 * out. A database failure here fails the Hello (the worker retries with backoff); every step is a
 * guarded write, so the retried Hello finds the same answers.
 */
export function createWorkerHello(deps: WorkerHelloDeps) {
  const { runs, workers, registry, leases, lifecycle, events, log, clock } = deps;

  /**
   * Matches what the worker says it holds against what the database says it holds. The same process
   * lists every run it ever received until its finish is acknowledged, so an assigned run it does not
   * list never reached it (e.g. the server died before sending the Assign): that claim is undone
   * without spending an attempt. Anything else it no longer holds was lost with a previous process.
   */
  async function reconcile(session: WorkerSession, hello: Hello, sameProcess: boolean) {
    const reported = new Map(hello.activeRuns.map((r) => [r.runId, r]));
    for (const row of await runs.held(session.workerId)) {
      const r = reported.get(row.id);
      if (r && r.attempt === row.attempt) {
        session.runs.set(row.id, row.attempt);
        reported.delete(row.id);
        if (row.cancelRequested) session.sendQueue.push(cancelMessage(row.id, row.error || "cancelled", false));
        // Tell the worker what is already stored so it resends only the rest.
        session.sendQueue.push(logAck(row.id, row.lastSeq));
      } else if (sameProcess && row.status === "assigned") {
        leases.finished(row.id);
        if (await runs.unclaim(row.id, session.workerId, clock.now())) events.emit("runChanged", row.id, "queued");
      } else {
        leases.finished(row.id);
        await lifecycle.endAttempt(row, "lost", `worker ${row.workerName} restarted without the run`, false);
      }
    }
    for (const r of reported.values()) {
      const row = await runs.get(r.runId);
      const finishedHere = row && row.workerId === session.workerId && row.attempt === r.attempt && !["queued", "assigned", "running"].includes(row.status);
      // A finish we already recorded (its ack was lost) is acknowledged again; anything else is no longer this worker's.
      session.sendQueue.push(finishedHere ? logAck(r.runId, row.lastSeq, true) : cancelMessage(r.runId, "the run is no longer assigned to this worker", true));
    }
  }

  return async function open(hello: Hello): Promise<WorkerSession> {
    const current = [...registry.sessions.values()].find((s) => s.name === hello.name);
    if (current && current.instanceId !== hello.instanceId) {
      throw alreadyExists(`worker name "${hello.name}" is already connected from another process; give each worker a unique ORCH_WORKER_NAME`);
    }
    const now = clock.now();
    const previousInstance = (await workers.byName(hello.name))?.instanceId;
    const row = await workers.upsertFromHello(hello, now);
    if (current) {
      // The same process reconnected before its old stream was noticed dead: the new stream wins.
      registry.remove(current);
      current.sendQueue.close();
    }
    const session: WorkerSession = {
      workerId: row.id, name: row.name, instanceId: hello.instanceId, labels: { ...hello.labels },
      agents: new Set(hello.agents), capacity: hello.capacity, draining: false, runs: new Map(),
      sendQueue: createSendQueue<ConnectResponse>(), lastSeen: now, gaps: new Map(),
    };
    session.sendQueue.push(workerMessage({
      case: "welcome",
      value: {
        // At least three heartbeats fit in the lost-worker lease, however the two are configured.
        workerId: row.id, heartbeatIntervalMs: Math.min(deps.heartbeatIntervalMs, Math.floor(deps.workerLostAfterMs / 3)),
        flushIntervalMs: deps.flushIntervalMs, flushBytes: deps.flushBytes, leaseMs: deps.workerLostAfterMs,
      },
    }));
    await reconcile(session, hello, previousInstance === hello.instanceId);
    registry.add(session);
    leases.watchWorker(row.id, now);
    events.emit("workerChanged", row.id);
    log.info({ workerId: row.id, name: row.name, capacity: hello.capacity, kept: session.runs.size }, "worker connected");
    deps.dispatcher.kick();
    return session;
  };
}
