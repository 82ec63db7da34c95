import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { RunStatus } from "../../gen/flightcontrol/v1/run_pb";
import {
  ConnectResponseSchema,
  type ConnectRequest,
  type ConnectResponse,
  type Hello,
  type LogBatch,
  type RunFinished,
} from "../../gen/flightcontrol/v1/worker_pb";
import { usageToJson } from "../../storage/codecs";
import type { Logger } from "../../logger";
import type { LogStore } from "../../storage/log-store";
import type { RunStore } from "../../storage/run-store";
import type { EventBus } from "../events";
import { createSendQueue } from "../../../../shared-src/send-queue";
import type { Lifecycle } from "../runs/lifecycle";
import { statusToColumn } from "../runs/status";
import type { Dispatcher } from "./dispatcher";
import { cancelMessage, type Leases } from "./leases";
import type { Registry, WorkerSession } from "./registry";
import type { WorkerRecords } from "./worker-records";

export interface SessionDeps {
  runs: RunStore;
  logs: LogStore;
  workers: WorkerRecords;
  registry: Registry;
  dispatcher: Dispatcher;
  leases: Leases;
  lifecycle: Lifecycle;
  events: EventBus;
  log: Logger;
  heartbeatIntervalMs: number;
  workerLostAfterMs: number;
  flushIntervalMs: number;
  flushBytes: number;
  observeLogs?(lines: number, bytes: number): void;
}

const msg = (m: MessageInitShape<typeof ConnectResponseSchema>["message"]) => create(ConnectResponseSchema, { message: m });
const ack = (runId: string, seq: number, finished = false) =>
  msg({ case: "logAck", value: { runId, ackedSeq: BigInt(seq), finished } });

/**
 * One worker's session on WorkerService.Connect. Messages from the worker are handled strictly in
 * order (so a RunFinished is processed after the batches sent before it); messages to the worker
 * go through the session's send queue.
 */
export function createSessionHandler(deps: SessionDeps) {
  const { runs, logs, workers, registry, dispatcher, leases, lifecycle, events, log } = deps;

  async function open(hello: Hello): Promise<WorkerSession> {
    const current = [...registry.sessions.values()].find((s) => s.name === hello.name);
    if (current && current.instanceId !== hello.instanceId) {
      throw new ConnectError(
        `worker name "${hello.name}" is already connected from another process; give each worker a unique ORCH_WORKER_NAME`,
        Code.AlreadyExists,
      );
    }
    const now = Date.now();
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
      sendQueue: createSendQueue<ConnectResponse>(), lastSeen: now,
    };
    session.sendQueue.push(msg({
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
    dispatcher.kick();
    return session;
  }

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
        session.sendQueue.push(ack(row.id, row.lastSeq));
      } else if (sameProcess && row.status === "assigned") {
        leases.finished(row.id);
        if (await runs.unclaim(row.id, session.workerId, Date.now())) events.emit("runChanged", row.id, "queued");
      } else {
        leases.finished(row.id);
        await lifecycle.endAttempt(row, "lost", `worker ${row.workerName} restarted without the run`, false);
      }
    }
    for (const r of reported.values()) {
      const row = await runs.get(r.runId);
      const finishedHere = row && row.workerId === session.workerId && row.attempt === r.attempt && !["queued", "assigned", "running"].includes(row.status);
      // A finish we already recorded (its ack was lost) is acknowledged again; anything else is no longer this worker's.
      session.sendQueue.push(finishedHere ? ack(r.runId, row.lastSeq, true) : cancelMessage(r.runId, "the run is no longer assigned to this worker", true));
    }
  }

  const holds = (s: WorkerSession, runId: string, attempt: number) => s.runs.get(runId) === attempt;

  async function onStarted(s: WorkerSession, runId: string, attempt: number) {
    if (!holds(s, runId, attempt)) return;
    const started = await runs.markStarted(runId, s.workerId, attempt, Date.now());
    if (!started) return;
    leases.started(runId, attempt, started.deadlineAt);
    // A cancel that arrived while the Assign was being prepared went out before it and was ignored by the worker.
    if (started.cancelRequested) s.sendQueue.push(cancelMessage(runId, started.error || "cancelled", false));
    events.emit("runChanged", runId, "running");
  }

  async function onLogs(s: WorkerSession, b: LogBatch) {
    if (!holds(s, b.runId, b.attempt)) {
      log.warn({ workerId: s.workerId, runId: b.runId }, "refused logs for a run this worker does not hold");
      return;
    }
    const maxSeq = await logs.append(b.runId, b.items);
    events.emit("runOutput", b.runId, b.items);
    if (deps.observeLogs) {
      let bytes = 0;
      for (const i of b.items) if (i.payload.case === "log") bytes += i.payload.value.text.length;
      deps.observeLogs(b.items.length, bytes);
    }
    s.sendQueue.push(ack(b.runId, maxSeq));
  }

  async function onFinished(s: WorkerSession, f: RunFinished) {
    if (!holds(s, f.runId, f.attempt)) {
      const row = await runs.get(f.runId);
      if (row && row.workerId === s.workerId && row.attempt === f.attempt) s.sendQueue.push(ack(f.runId, row.lastSeq, true));
      else log.warn({ workerId: s.workerId, runId: f.runId }, "refused a finish for a run this worker does not hold");
      return;
    }
    const row = await runs.get(f.runId);
    registry.release(s, f.runId);
    leases.finished(f.runId);
    if (row) {
      await lifecycle.reportFinish(row, s.workerId, {
        status: statusToColumn(f.status as RunStatus), exitCode: f.exitCode ?? null, error: f.error,
        result: f.result, usage: usageToJson(f.usage), lastSeq: Number(f.lastSeq),
      });
    }
    s.sendQueue.push(ack(f.runId, Number(f.lastSeq), true));
    events.emit("workerChanged", s.workerId);
    if (s.draining && s.runs.size === 0) log.info({ workerId: s.workerId }, "draining worker is idle");
    dispatcher.kick();
  }

  async function handle(s: WorkerSession, req: ConnectRequest) {
    s.lastSeen = Date.now();
    const m = req.message;
    switch (m.case) {
      case "heartbeat":
        if (m.value.draining && !s.draining) {
          registry.setDraining(s);
          await workers.setState(s.workerId, "draining", s.lastSeen);
          events.emit("workerChanged", s.workerId);
        }
        // lastSeen (set above) is the heartbeat: it lives in memory and reaches the row on disconnect.
        // The ack lets the worker fence itself: it knows the lease clock restarted no earlier than this heartbeat's sending.
        s.sendQueue.push(msg({ case: "heartbeatAck", value: { seq: m.value.seq } }));
        return;
      case "runStarted":
        return onStarted(s, m.value.runId, m.value.attempt);
      case "logBatch":
        return onLogs(s, m.value);
      case "runFinished":
        return onFinished(s, m.value);
      case "hello":
        throw new ConnectError("Hello may only be the first message of a session", Code.InvalidArgument);
    }
  }

  async function consume(s: WorkerSession, it: AsyncIterator<ConnectRequest>) {
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) {
        // A session replaced by a reconnect or declared lost reads on only to end: the worker resends to its current session.
        if (registry.get(s.workerId) !== s) break;
        await handle(s, r.value);
      }
      s.sendQueue.close();
    } catch (err) {
      // A refusal (a ConnectError) reaches the worker and a dropped connection is routine; anything
      // else is a server fault (e.g. a failing query) that would otherwise only show as "internal error" on the worker.
      const dropped = (err as { code?: string }).code === "ERR_STREAM_PREMATURE_CLOSE";
      if (!(err instanceof ConnectError) && !dropped) log.error({ err, workerId: s.workerId }, "worker session failed");
      s.sendQueue.fail(err);
    }
  }

  function closed(s: WorkerSession) {
    if (registry.get(s.workerId) !== s) return;
    registry.remove(s);
    // The runs stay held: the worker has the lost-worker lease to come back and claim them.
    leases.watchWorker(s.workerId, s.lastSeen);
    void workers.setOffline(s.workerId, s.lastSeen, Date.now()).then(() => events.emit("workerChanged", s.workerId));
    log.info({ workerId: s.workerId, held: s.runs.size }, "worker disconnected");
  }

  return async function* connect(requests: AsyncIterable<ConnectRequest>, ctx: HandlerContext): AsyncGenerator<ConnectResponse> {
    const it = requests[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done || first.value.message.case !== "hello") {
      throw new ConnectError("the first message of a worker session must be Hello", Code.InvalidArgument);
    }
    const session = await open(first.value.message.value);
    const onAbort = () => session.sendQueue.close();
    ctx.signal.addEventListener("abort", onAbort);
    void consume(session, it);
    try {
      yield* session.sendQueue;
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
      closed(session);
    }
  };
}
