import type { ArtifactChunk, ConnectRequest, Heartbeat, LogBatch, RunFinished } from "../../gen/flightcontrol/v1/worker_pb";
import type { RunStatus } from "../../gen/flightcontrol/v1/run_pb";
import { changesToJson, usageToJson } from "../../storage/codecs";
import type { Logger } from "../../logger";
import type { LogStore } from "../../storage/log-store";
import type { RunStore } from "../../storage/run-store";
import { inBackground } from "../background";
import { systemClock, type Clock } from "../clock";
import { invalidArgument } from "../errors";
import type { EventBus } from "../events";
import type { Lifecycle } from "../runs/lifecycle";
import { statusToColumn } from "../runs/status";
import type { Leases } from "./leases";
import type { ArtifactUploads } from "../artifacts/artifact-uploads";
import { cancelMessage, heartbeatAck, logAck, workerMessage } from "./messages";
import { isOutage, type Background } from "./outage-retry";
import type { Registry, WorkerSession } from "./registry";
import { createWorkerHello, type HelloSettings } from "./worker-hello";
import type { WorkerRecords } from "./worker-records";

export interface WorkerProtocolDeps extends HelloSettings {
  runs: RunStore;
  logs: LogStore;
  workers: WorkerRecords;
  registry: Registry;
  dispatcher: { kick(): void };
  leases: Leases;
  lifecycle: Lifecycle;
  events: EventBus;
  log: Logger;
  /** Runs database work that must survive an outage (outage-retry.ts). */
  background: Background;
  clock?: Clock;
  observeLogs?(lines: number, bytes: number): void;
  /** Receives artifact uploads; without it they are refused. */
  artifacts?: ArtifactUploads;
}

const active = (status: string) => status === "queued" || status === "assigned" || status === "running";

/**
 * The worker protocol, transport-free: Hello/Welcome (worker-hello.ts), then each message from the
 * worker in order (so a RunFinished is handled after the batches sent before it), and the end of
 * the session. The RPC edge (the worker stream handler, worker-stream.ts in the rpc layer) feeds it and writes the session's sendQueue out.
 *
 * A database outage never ends a session: the worker and its agents keep going. What could not be
 * stored is not acknowledged, and the worker resends it (it keeps every unacknowledged batch and
 * finish, and resends one once a heartbeat sent after it was acknowledged without it); what the
 * worker never resends (RunStarted, its disconnect) the server records once the database is back.
 */
export function createWorkerProtocol(deps: WorkerProtocolDeps) {
  const { runs, logs, workers, registry, leases, lifecycle, events, log } = deps;
  const clock = deps.clock ?? systemClock;
  const open = createWorkerHello({ ...deps, clock });

  const holds = (s: WorkerSession, runId: string, attempt: number) => s.runs.get(runId) === attempt;

  function onHeartbeat(s: WorkerSession, beat: Heartbeat) {
    if (beat.draining && !s.draining) {
      registry.setDraining(s);
      deps.background(
        "record that a worker is draining",
        async () => {
          if (registry.get(s.workerId) !== s) return;
          await workers.setState(s.workerId, "draining", clock.now());
          events.emit("workerChanged", s.workerId);
        },
        { workerId: s.workerId },
      );
    }
    // lastSeen (set by handle) is the heartbeat: it lives in memory and reaches the row on disconnect.
    // The ack lets the worker fence itself: it knows the lease clock restarted no earlier than this heartbeat's sending.
    s.sendQueue.push(heartbeatAck(beat.seq));
  }

  async function onStarted(s: WorkerSession, runId: string, attempt: number) {
    if (!holds(s, runId, attempt)) return;
    // The worker has the run: the assignment lease is over even if the database cannot record it yet.
    leases.acknowledged(runId);
    try {
      await recordStart(s, runId, attempt);
    } catch (err) {
      if (!isOutage(err)) throw err;
      // A worker sends RunStarted once: the server keeps it and records it when the database is back.
      deps.background("record that a run started", () => recordStart(s, runId, attempt), { runId, workerId: s.workerId });
    }
  }

  async function recordStart(s: WorkerSession, runId: string, attempt: number) {
    if (!holds(s, runId, attempt)) return;
    const started = await runs.markStarted(runId, s.workerId, attempt, clock.now());
    if (!started) return;
    leases.started(runId, attempt, started.deadlineAt);
    // A cancel that arrived while the Assign was being prepared went out before it and was ignored by the worker.
    if (started.cancelRequested) (registry.holderOf(runId) ?? s).sendQueue.push(cancelMessage(runId, started.error || "cancelled", false));
    events.emit("runChanged", runId, "running");
  }

  async function onLogs(s: WorkerSession, b: LogBatch) {
    if (!holds(s, b.runId, b.attempt)) {
      log.warn({ workerId: s.workerId, runId: b.runId }, "refused logs for a run this worker does not hold");
      return;
    }
    let first = Infinity;
    for (const i of b.items) first = Math.min(first, Number(i.seq));
    const out = s.output.get(b.runId);
    // Output after a hole waits for the hole: the worker resends from its oldest unacknowledged batch.
    if (out && first > out.storedSeq + 1) return;
    let maxSeq: number;
    try {
      maxSeq = await logs.append(b.runId, b.items);
    } catch (err) {
      if (out && out.failedSeq === undefined) {
        out.failedSeq = first;
        const fields = { err, workerId: s.workerId, runId: b.runId, fromSeq: first };
        if (isOutage(err)) log.warn(fields, "could not store a log batch; not acknowledged, the worker will resend it");
        else log.error(fields, "could not store a log batch; not acknowledged, the worker will resend it");
      }
      return;
    }
    if (out) {
      if (maxSeq > out.storedSeq) out.storedSeq = maxSeq;
      if (out.failedSeq !== undefined && out.storedSeq >= out.failedSeq) {
        log.info({ workerId: s.workerId, runId: b.runId, fromSeq: out.failedSeq }, "stored the log output resent after a failed write");
        out.failedSeq = undefined;
      }
    }
    events.emit("runOutput", b.runId, b.items);
    if (deps.observeLogs) {
      let bytes = 0;
      for (const i of b.items) if (i.payload.case === "log") bytes += i.payload.value.text.length;
      deps.observeLogs(b.items.length, bytes);
    }
    s.sendQueue.push(logAck(b.runId, maxSeq));
  }

  async function onArtifactChunk(s: WorkerSession, c: ArtifactChunk) {
    const ack = (stored: boolean, error: string) =>
      s.sendQueue.push(workerMessage({ case: "artifactAck", value: { runId: c.runId, artifactId: c.artifactId, stored, error } }));
    if (!holds(s, c.runId, c.attempt)) {
      // Only the first chunk is worth a log line; the rest of the same upload would repeat it.
      if (c.offset === 0n)
        log.warn(
          { workerId: s.workerId, runId: c.runId, attempt: c.attempt, name: c.name },
          "refused an artifact for a run this worker does not hold",
        );
      if (c.last) ack(false, `this worker does not hold run ${c.runId} at attempt ${c.attempt}`);
      return;
    }
    if (!deps.artifacts) {
      if (c.last) ack(false, "this server does not store artifacts");
      return;
    }
    try {
      const outcome = await deps.artifacts.receive(s, c);
      if (outcome) ack(outcome.stored, outcome.error);
    } catch (err) {
      // Not acknowledged: the worker sends the artifact again, as it does an unstored log batch.
      const fields = { err, workerId: s.workerId, runId: c.runId, name: c.name };
      if (isOutage(err)) log.warn(fields, "could not store an artifact; not acknowledged, the worker will resend it");
      else log.error(fields, "could not store an artifact; not acknowledged, the worker will resend it");
    }
  }

  async function onFinished(s: WorkerSession, f: RunFinished) {
    try {
      await recordFinish(s, f);
    } catch (err) {
      const fields = { err, workerId: s.workerId, runId: f.runId };
      if (isOutage(err)) log.warn(fields, "could not record a run's finish; not acknowledged, the worker will resend it");
      else log.error(fields, "could not record a run's finish; not acknowledged, the worker will resend it");
    }
  }

  async function recordFinish(s: WorkerSession, f: RunFinished) {
    if (!holds(s, f.runId, f.attempt)) {
      const row = await runs.get(f.runId);
      // A finish we already recorded (its ack was lost) is acknowledged again.
      if (row && row.workerId === s.workerId && row.attempt === f.attempt && !active(row.status))
        s.sendQueue.push(logAck(f.runId, row.lastSeq, true));
      else log.warn({ workerId: s.workerId, runId: f.runId }, "refused a finish for a run this worker does not hold");
      return;
    }
    const out = s.output.get(f.runId);
    if (out && Number(f.lastSeq) > out.storedSeq) {
      // Output before it is missing: the finish is recorded after that output, when the worker resends both.
      log.warn(
        { workerId: s.workerId, runId: f.runId, storedSeq: out.storedSeq, lastSeq: Number(f.lastSeq) },
        "holding back a run's finish until the output before it is stored",
      );
      return;
    }
    const row = await runs.get(f.runId);
    if (row) {
      await lifecycle.reportFinish(row, s.workerId, {
        status: statusToColumn(f.status as RunStatus),
        exitCode: f.exitCode ?? null,
        error: f.error,
        result: f.result,
        usage: usageToJson(f.usage),
        changes: changesToJson(f.changes),
        lastSeq: Number(f.lastSeq),
        agentSessionId: f.agentSessionId,
      });
    }
    // Only now, with the outcome stored: released earlier, a failed write would leave the run held by nobody.
    registry.release(s, f.runId);
    leases.finished(f.runId);
    s.sendQueue.push(logAck(f.runId, Number(f.lastSeq), true));
    events.emit("workerChanged", s.workerId);
    if (s.draining && s.runs.size === 0) log.info({ workerId: s.workerId }, "draining worker is idle");
    deps.dispatcher.kick();
  }

  return {
    /** The session's first message: registers the worker and queues its Welcome. */
    open,

    /** True while this session is its worker's current one; a replaced or lost session's messages are not handled. */
    isCurrent: (s: WorkerSession) => registry.get(s.workerId) === s,

    /** One message from the worker, after the previous one was handled. */
    async handle(s: WorkerSession, req: ConnectRequest): Promise<void> {
      s.lastSeen = clock.now();
      const m = req.message;
      switch (m.case) {
        case "heartbeat":
          return onHeartbeat(s, m.value);
        case "runStarted":
          return onStarted(s, m.value.runId, m.value.attempt);
        case "logBatch":
          return onLogs(s, m.value);
        case "runFinished":
          return onFinished(s, m.value);
        case "artifactChunk":
          return onArtifactChunk(s, m.value);
        case "hello":
          throw invalidArgument("Hello may only be the first message of a session");
      }
    },

    /** The stream ended. The runs stay held: the worker has the lost-worker lease to come back and claim them. */
    closed(s: WorkerSession) {
      if (deps.artifacts)
        inBackground(log, "discard a session's partial artifact uploads", () => deps.artifacts!.closed(s), { workerId: s.workerId });
      if (registry.get(s.workerId) !== s) return;
      registry.remove(s);
      leases.watchWorker(s.workerId, s.lastSeen);
      const disconnectedAt = clock.now();
      deps.background(
        "record that a worker disconnected",
        async () => {
          // Reconnected meanwhile (e.g. while the database was down): its Hello wrote the row.
          if (registry.get(s.workerId)) return;
          await workers.setOffline(s.workerId, s.lastSeen, disconnectedAt);
          events.emit("workerChanged", s.workerId);
        },
        { workerId: s.workerId },
      );
      log.info({ workerId: s.workerId, held: s.runs.size }, "worker disconnected");
    },
  };
}

export type WorkerProtocol = ReturnType<typeof createWorkerProtocol>;
