import { createHash, randomBytes } from "node:crypto";
import type { ConnectResponse, Hello } from "../../gen/flightcontrol/v1/worker_pb";
import type { Logger } from "../../logger";
import type { RunStore } from "../../storage/run-store";
import type { Clock } from "../clock";
import { alreadyExists, permissionDenied } from "../errors";
import type { EventBus } from "../events";
import { createSendQueue } from "../../../../shared-src/send-queue";
import type { Lifecycle } from "../runs/lifecycle";
import type { Leases } from "./leases";
import { cancelMessage, logAck, workerMessage } from "./messages";
import type { Registry, WorkerSession } from "./registry";
import type { WorkerRecords } from "./worker-records";

/** Who opened the session: the API key it presented (the auth gate at the RPC edge resolves it). */
export interface WorkerIdentity {
  keyId: string;
  keyName: string;
  /** The labels the key is bound to; empty when unbound. */
  workerLabels: Record<string, string>;
  /** The workspace of the key: the session is offered only that workspace's runs. */
  workspaceId: string;
}

/** 256 random bits, base64url: the session's token, which the worker presents to resume it. */
const newSessionToken = () => randomBytes(32).toString("base64url");
export const hashSessionToken = (token: string): string => createHash("sha256").update(token).digest("hex");

/**
 * A bound key's workers may present only labels of the binding, with the bound value: labels
 * attract runs, so any other label would let a leaked key draw runs meant for other machines.
 * Presenting fewer is fine (fewer labels attract fewer runs).
 */
function assertLabelsAllowed(labels: Record<string, string>, id: WorkerIdentity) {
  const bound = Object.entries(id.workerLabels);
  if (!bound.length) return;
  const allowed = bound.map(([k, v]) => `${k}=${v}`).join(", ");
  for (const [k, v] of Object.entries(labels)) {
    if (!(k in id.workerLabels)) {
      throw permissionDenied(
        `label "${k}" is not allowed for API key "${id.keyName}", which is bound to ${allowed}: remove it from the worker's labels or use a key bound to it`,
      );
    }
    if (id.workerLabels[k] !== v) {
      throw permissionDenied(
        `label "${k}=${v}" is not allowed for API key "${id.keyName}", which is bound to ${allowed}: set ${k}=${id.workerLabels[k]} or use a key bound to ${k}=${v}`,
      );
    }
  }
}

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
  async function reconcile(session: WorkerSession, hello: Hello, resumes: boolean) {
    const reported = new Map(hello.activeRuns.map((r) => [r.runId, r]));
    for (const row of await runs.held(session.workerId)) {
      const r = reported.get(row.id);
      // Only the process that held the runs (its session's token, with the same key) keeps them.
      if (resumes && r && r.attempt === row.attempt) {
        session.runs.set(row.id, row.attempt);
        session.output.set(row.id, { storedSeq: row.lastSeq });
        reported.delete(row.id);
        if (row.cancelRequested) session.sendQueue.push(cancelMessage(row.id, row.error || "cancelled", false));
        // Tell the worker what is already stored so it resends only the rest.
        session.sendQueue.push(logAck(row.id, row.lastSeq));
      } else if (resumes && row.status === "assigned") {
        leases.finished(row.id);
        if (await runs.unclaim(row.id, session.workerId, clock.now())) events.emit("runChanged", row.id, "queued");
      } else {
        leases.finished(row.id);
        await lifecycle.endAttempt(row, "lost", `worker ${row.workerName} restarted without the run`, false);
      }
    }
    for (const r of reported.values()) {
      const row = await runs.get(r.runId);
      const finishedHere =
        resumes && row && row.workerId === session.workerId && row.attempt === r.attempt && !["queued", "assigned", "running"].includes(row.status);
      // A finish we already recorded (its ack was lost) is acknowledged again; anything else is no longer this worker's.
      session.sendQueue.push(
        finishedHere ? logAck(r.runId, row.lastSeq, true) : cancelMessage(r.runId, "the run is no longer assigned to this worker", true),
      );
    }
  }

  /**
   * A session resumes the worker's previous one only with that session's token (from its Welcome)
   * and the same API key: only then does it keep the runs it lists, or take over a session that is
   * still connected. Without them it is a new process (a restarted worker): refused while the name
   * is connected, else it gets the name, and the runs the previous process held end as lost.
   */
  return async function open(hello: Hello, identity: WorkerIdentity): Promise<WorkerSession> {
    assertLabelsAllowed(hello.labels, identity);
    const previous = await workers.byName(hello.name);
    const resumes =
      Boolean(hello.resumeToken) &&
      previous !== null &&
      previous.apiKeyId === identity.keyId &&
      previous.sessionTokenHash === hashSessionToken(hello.resumeToken);
    const current = [...registry.sessions.values()].find((s) => s.name === hello.name);
    if (current && !resumes) {
      throw alreadyExists(`worker name "${hello.name}" is already connected from another process; give each worker a unique ORCH_WORKER_NAME`);
    }
    if (!resumes && previous?.apiKeyId && previous.apiKeyId !== identity.keyId && (await runs.held(previous.id)).length) {
      // A restart with the same key may give up the runs at once (they died with the process); another
      // key's process must not: with per-machine keys, a name squat cannot requeue another machine's runs.
      throw alreadyExists(
        `worker name "${hello.name}" still holds runs of a session opened with another API key; ` +
          `reconnect that worker, or use this name again once its runs are requeued (within ${deps.workerLostAfterMs} ms of its last contact)`,
      );
    }
    const now = clock.now();
    const token = newSessionToken();
    const row = await workers.upsertFromHello(hello, identity.workspaceId, now);
    if (current) {
      // The same process reconnected before its old stream was noticed dead: the new stream wins.
      registry.remove(current);
      current.sendQueue.close();
    }
    const session: WorkerSession = {
      workerId: row.id,
      name: row.name,
      workspaceId: identity.workspaceId,
      instanceId: hello.instanceId,
      labels: { ...hello.labels },
      agents: new Set(hello.agents),
      capacity: hello.capacity,
      sandbox: hello.sandbox,
      draining: false,
      runs: new Map(),
      sendQueue: createSendQueue<ConnectResponse>(),
      lastSeen: now,
      output: new Map(),
    };
    session.sendQueue.push(
      workerMessage({
        case: "welcome",
        value: {
          // At least three heartbeats fit in the lost-worker lease, however the two are configured.
          workerId: row.id,
          heartbeatIntervalMs: Math.min(deps.heartbeatIntervalMs, Math.floor(deps.workerLostAfterMs / 3)),
          flushIntervalMs: deps.flushIntervalMs,
          flushBytes: deps.flushBytes,
          leaseMs: deps.workerLostAfterMs,
          sessionToken: token,
        },
      }),
    );
    await reconcile(session, hello, resumes);
    // Last: a Hello that fails before this (e.g. the database went down mid-way) leaves the previous
    // session's token valid, so the worker's retry still resumes; its Welcome, queued above, is never sent.
    await workers.setSession(row.id, { sessionTokenHash: hashSessionToken(token), apiKeyId: identity.keyId });
    registry.add(session);
    leases.watchWorker(row.id, now);
    events.emit("workerChanged", row.id);
    log.info(
      { workerId: row.id, name: row.name, capacity: hello.capacity, kept: session.runs.size, resumed: resumes, keyId: identity.keyId },
      "worker connected",
    );
    deps.dispatcher.kick();
    return session;
  };
}
