import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { ConnectRequestSchema, WorkerService, type Assign, type ConnectRequest, type ConnectResponse } from "./gen/flightcontrol/v1/worker_pb";
import type { Agent } from "./agents/types";
import type { WorkerConfig } from "./config";
import type { WorkerSandbox } from "./sandbox/worker-sandbox";
import { createRunLog, type RunLog } from "./run-log";
import { createArtifactUploader, type ArtifactUploader } from "./artifacts/upload";
import { artifactFetcher } from "./artifacts/download";
import { createSelfFence } from "./fence";
import { RunStatus } from "./gen/flightcontrol/v1/run_pb";
import { startRun, type RunReport, type StopOptions, type StopReason } from "./runner";
import { createSendQueue, type SendQueue } from "../../shared-src/send-queue";
import { WorkerEvent, type Logger } from "./logger";
import { reconnectDelayMs, waitUnlessAborted } from "./reconnect-backoff";

interface ActiveRun {
  log: RunLog;
  stop?: (reason: StopReason, opts?: StopOptions) => void;
  /** Set once the agent ended; kept until the server acknowledges the finish. */
  report?: RunReport;
  /** The heartbeat that followed the finish's latest sending (see log-streamer.ts on overdue messages). */
  finishBeat?: bigint;
  /** Settles when the agent has ended. */
  done?: Promise<unknown>;
  /** The run's artifacts until the server has them all; the finish goes only after that. */
  uploads?: ArtifactUploader;
}

type RequestInit = MessageInitShape<typeof ConnectRequestSchema>["message"];
const req = (m: RequestInit) => create(ConnectRequestSchema, { message: m });

/**
 * The agent worker: one outbound bidi stream to the server, reconnected with exponential backoff
 * and jitter. Runs and their unacknowledged output survive reconnects: the next Hello lists them and
 * everything unacknowledged is sent again.
 */
export function createAgentWorker(
  config: WorkerConfig,
  agents: Map<string, Agent>,
  log: Logger,
  version = "0.1.0",
  /** Where runs are isolated (sandbox/worker-sandbox.ts); none: they run as the worker's user. */
  sandbox?: WorkerSandbox,
) {
  const instanceId = randomUUID();
  const runs = new Map<string, ActiveRun>();
  const budget = { used: 0 };
  const spillDir = join(config.workDir, "spill");
  mkdirSync(spillDir, { recursive: true });
  let sendQueue: SendQueue<ConnectRequest> | undefined;
  let flush = { bytes: 64 * 1024, ms: 50 };
  let heartbeat: NodeJS.Timeout | undefined;
  let draining = false;
  let stopped = false;
  let workerId = "";
  /**
   * The latest Welcome's session token, presented on reconnect: only the process that held the
   * session keeps its runs. In memory only: a restarted process starts a new session (its
   * predecessor's agents were reaped by orphans.ts, and the server ends their runs).
   */
  let sessionToken = "";
  let markDrained!: () => void;
  /** Resolves once draining was asked for (signal or the server's Drain) and no run is left. */
  const drained = new Promise<void>((r) => (markDrained = r));
  const stopController = new AbortController();
  const fetchArtifact = artifactFetcher(config.serverUrl, config.apiKey);

  const send = (m: RequestInit) => sendQueue?.push(req(m)) ?? false;
  const fence = createSelfFence({ killGraceMs: config.killGraceMs, onFence: fenceRuns });
  let lastBeat = 0n;
  let ackedBeat = 0n;
  const nextBeat = () => lastBeat + 1n;
  const beat = () => send({ case: "heartbeat", value: { draining, seq: (lastBeat = fence.heartbeat()) } });

  /**
   * The server acknowledged heartbeat `seq`, and handles messages in order: output or a finish sent
   * before that heartbeat and still unacknowledged could not be stored (e.g. its database is down).
   * Resend it; a finish only after the run's output is stored, so the server records it after that.
   */
  function resendOverdue(seq: bigint) {
    if (seq > ackedBeat) ackedBeat = seq;
    for (const [runId, r] of runs) {
      r.log.heartbeatAcked(seq);
      r.uploads?.heartbeatAcked(seq);
      resendFinishIfOverdue(runId, r);
    }
  }

  function resendFinishIfOverdue(runId: string, r: ActiveRun) {
    if (r.report && r.finishBeat !== undefined && r.finishBeat <= ackedBeat && r.log.drained && artifactsStored(r)) sendFinish(runId, r);
  }

  /** A finished run never lacks its artifacts: the finish waits until the server acknowledged every one. */
  const artifactsStored = (r: ActiveRun) => !r.uploads || r.uploads.drained;

  /**
   * The server may soon give our runs to another worker (fence.ts): stop every agent still running
   * and finish its run as failed. The report is kept like any other: a server that still holds the
   * run when we get back retries it per its policy; one that requeued it already cancels it here.
   */
  function fenceRuns(graceMs: number) {
    const running = [...runs].filter(([, r]) => r.stop);
    if (running.length === 0) return;
    const error = fence.reason(config.name);
    log.warn(
      {
        runs: running.map(([id]) => id),
        graceMs: Math.round(graceMs),
        error,
      },
      "lost contact with the server; stopping agents before their runs are given to another worker",
    );
    for (const [, r] of running) r.stop!("fence", { error, graceMs });
  }

  function checkIdle() {
    if (draining && runs.size === 0) markDrained();
  }

  function onAssign(a: Assign) {
    if (runs.has(a.runId)) return;
    const runLog = createRunLog(
      a.runId,
      a.attempt,
      a.firstSeq,
      {
        flushBytes: flush.bytes,
        flushIntervalMs: flush.ms,
        maxBufferedBytes: config.maxBufferedBytes,
        spillDir,
        send: (batch) => send({ case: "logBatch", value: batch }),
        nextBeat,
      },
      budget,
    );
    const active: ActiveRun = { log: runLog };
    runs.set(a.runId, active);
    send({ case: "runStarted", value: { runId: a.runId, attempt: a.attempt } });
    log.info({ runId: a.runId, attempt: a.attempt, agent: a.spec?.agent }, "run assigned");
    const run = startRun(a, runLog, {
      agents,
      workDir: config.workDir,
      workerName: config.name,
      killGraceMs: config.killGraceMs,
      sandbox,
      artifactLimits: { maxFileBytes: config.artifactMaxFileBytes, maxRunBytes: config.artifactMaxRunBytes },
      mirrorCacheBytes: config.mirrorCacheBytes,
      fetchArtifact,
    });
    active.stop = run.stop;
    // Held up past our fence point, this Assign may be stale: its run may already be running elsewhere.
    if (fence.expired()) {
      log.warn({ runId: a.runId }, "refusing a run assigned while out of contact with the server");
      run.stop("fence", { error: fence.reason(config.name), graceMs: 0 });
    }
    // A runner that throws (e.g. it could not record the agent's process group) still ends the run, as failed.
    const settled = run.done.catch((err: unknown): RunReport => {
      log.error({ err, runId: a.runId }, "the run failed before it could report");
      return { status: RunStatus.FAILED, error: `the worker could not run it: ${(err as Error).message}`, result: "", artifacts: [] };
    });
    active.done = settled;
    void settled.then((report) => {
      if (runs.get(a.runId) !== active) return;
      active.report = report;
      active.stop = undefined;
      runLog.flush();
      let finishing = false;
      active.uploads = createArtifactUploader({
        runId: a.runId,
        attempt: a.attempt,
        nextBeat,
        send: (chunk) => send({ case: "artifactChunk", value: chunk }),
        backlog: () => sendQueue?.size ?? 0,
        refused: (name, error) => log.warn({ runId: a.runId, name, error }, "the server refused an artifact"),
        onDrained: () => {
          // Once: later acks (a resent artifact acknowledged twice) must not send the finish again.
          if (finishing || runs.get(a.runId) !== active) return;
          finishing = true;
          sendFinish(a.runId, active);
        },
      });
      active.uploads.add(report.artifacts);
    });
  }

  function sendFinish(runId: string, active: ActiveRun) {
    const r = active.report!;
    active.finishBeat = nextBeat();
    send({
      case: "runFinished",
      value: {
        runId,
        attempt: active.log.attempt,
        status: r.status,
        exitCode: r.exitCode,
        error: r.error,
        result: r.result,
        usage: r.usage,
        changes: r.changes,
        agentSessionId: r.agentSessionId ?? "",
        lastSeq: active.log.lastSeq,
      },
    });
  }

  function forget(runId: string) {
    runs.get(runId)?.log.dispose();
    runs.get(runId)?.uploads?.dispose();
    // The staged copies of its artifacts (runner.ts) are no longer needed.
    void rm(join(config.workDir, "artifacts", runId), { recursive: true, force: true }).catch(() => undefined);
    runs.delete(runId);
    checkIdle();
  }

  function onMessage(m: ConnectResponse["message"]) {
    switch (m.case) {
      case "welcome":
        workerId = m.value.workerId;
        sessionToken = m.value.sessionToken;
        flush = { bytes: m.value.flushBytes || flush.bytes, ms: m.value.flushIntervalMs || flush.ms };
        clearInterval(heartbeat);
        fence.welcome(m.value.leaseMs, m.value.heartbeatIntervalMs || 5000);
        // One at once: its ack is the first proof newer than the Hello, however long the handshake took.
        beat();
        heartbeat = setInterval(beat, m.value.heartbeatIntervalMs || 5000);
        log.info({ event: WorkerEvent.connected, workerId, runs: runs.size, leaseMs: m.value.leaseMs }, "connected");
        return;
      case "heartbeatAck":
        fence.acked(m.value.seq);
        resendOverdue(m.value.seq);
        return;
      case "assign":
        return onAssign(m.value);
      case "cancel": {
        const active = runs.get(m.value.runId);
        if (!active) return;
        log.info({ runId: m.value.runId, reason: m.value.reason }, m.value.abandon ? "run taken away" : "run cancelled");
        if (m.value.abandon) {
          active.stop?.("abandon");
          forget(m.value.runId);
        } else active.stop?.("cancel");
        return;
      }
      case "logAck": {
        const active = runs.get(m.value.runId);
        if (!active) return;
        active.log.ack(m.value.ackedSeq);
        if (m.value.finished) forget(m.value.runId);
        else resendFinishIfOverdue(m.value.runId, active);
        return;
      }
      case "artifactAck":
        runs.get(m.value.runId)?.uploads?.ack(m.value.artifactId, m.value.stored, m.value.error);
        return;
      case "drain":
        void drain();
        return;
    }
  }

  async function connectOnce(): Promise<void> {
    const auth: Interceptor = (next) => (r) => {
      r.header.set("authorization", `Bearer ${config.apiKey}`);
      return next(r);
    };
    const transport = createGrpcTransport({
      baseUrl: config.serverUrl,
      interceptors: [auth],
      pingIntervalMs: 10_000,
      pingTimeoutMs: 10_000,
    });
    const client = createClient(WorkerService, transport);
    const queue = createSendQueue<ConnectRequest>();
    fence.hello();
    queue.push(
      req({
        case: "hello",
        value: {
          name: config.name,
          hostname: config.hostname,
          labels: config.labels,
          capacity: config.capacity,
          agents: [...agents.keys()].filter((a) => config.agents.includes(a)),
          agentVersions: Object.fromEntries([...agents.values()].filter((a) => config.agents.includes(a.name)).map((a) => [a.name, a.version ?? ""])),
          version,
          instanceId,
          resumeToken: sessionToken,
          sandbox: sandbox?.kind ?? "",
          activeRuns: [...runs.entries()].map(([runId, r]) => ({ runId, attempt: r.log.attempt, lastSeq: r.log.lastSeq })),
        },
      }),
    );
    sendQueue = queue;
    // Everything the previous stream may have lost goes out again; the server stores each seq once.
    for (const [runId, r] of runs) {
      r.log.resend();
      r.uploads?.resend();
      if (r.report && artifactsStored(r)) sendFinish(runId, r);
    }
    if (draining) beat();
    const abort = new AbortController();
    const onStop = () => abort.abort();
    stopController.signal.addEventListener("abort", onStop);
    try {
      for await (const res of client.connect(queue, { signal: abort.signal })) onMessage(res.message);
    } finally {
      stopController.signal.removeEventListener("abort", onStop);
      clearInterval(heartbeat);
      fence.disconnected();
      queue.close();
      if (sendQueue === queue) sendQueue = undefined;
    }
  }

  /** Connects until stopped, with exponential backoff and full jitter between attempts. */
  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      const started = Date.now();
      try {
        await connectOnce();
      } catch (err) {
        if (stopped) break;
        const e = ConnectError.from(err);
        if (e.code === Code.Unauthenticated || e.code === Code.PermissionDenied || e.code === Code.AlreadyExists) {
          log.error({ code: Code[e.code], message: e.rawMessage }, "server refused this worker");
          if (e.code !== Code.AlreadyExists) {
            // Refused for good (e.g. our key was revoked): the server takes our runs back, so no agent may go on with them.
            await stopAgents();
            throw e;
          }
        } else log.warn({ message: e.rawMessage }, "connection lost");
      }
      if (stopped) break;
      failures = Date.now() - started > 30_000 ? 1 : failures + 1;
      await waitUnlessAborted(reconnectDelayMs(failures, config.reconnectMinMs, config.reconnectMaxMs), stopController.signal);
    }
  }

  /** Stops every agent (killing it after the kill grace) and waits until they have all ended. */
  async function stopAgents(): Promise<void> {
    const ending = [...runs.values()].filter((r) => r.stop);
    if (!ending.length) return;
    log.warn({ runs: ending.length }, "stopping every agent: this worker may no longer run them");
    for (const r of ending) r.stop!("abandon");
    await Promise.all(ending.map((r) => r.done));
  }

  /** Take nothing new, finish what runs, then resolve. */
  function drain(): Promise<void> {
    if (!draining) {
      draining = true;
      log.info({ runs: runs.size }, "draining");
      beat();
    }
    checkIdle();
    return drained;
  }

  function stop() {
    stopped = true;
    fence.stop();
    for (const r of runs.values()) r.stop?.("abandon");
    stopController.abort();
  }

  return {
    run,
    drain,
    stop,
    drained,
    get runs() {
      return runs;
    },
  };
}
