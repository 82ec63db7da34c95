import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import * as http from "node:http";
import { setMaxListeners } from "node:events";
import { LogStream, RunService, type RunOutput } from "../../server/src/gen/flightcontrol/v1/run_pb";
import type { Assign, LogAck } from "../../server/src/gen/flightcontrol/v1/worker_pb";
import { apiClient } from "../lib/clients";
import { ADMIN_KEY, WORKER_KEY, type BenchServer } from "../lib/server";
import { bearer, connection, SimWorker } from "../lib/sim-worker";
import { cpuMeter, emittedAtOf, logLine, now, round, Samples, selfCpuMeter, sleep, waitUntil, type Summary } from "../lib/util";
import { roundSummary } from "./dispatch";

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 50;
const LINE_CHARS = 100;

/** A run being fed by a simulated worker: its Assign, and what the server has acknowledged. */
interface FedRun {
  index: number;
  assign: Assign;
  worker: SimWorker;
  nextSeq: bigint;
  ackedSeq: bigint;
  ackWaiter?: () => void;
  /** Send time of the batch carrying each seq (paced phase), for the server-only part of the delay. */
  batchSentAt?: Float64Array;
}

interface Subscriber {
  runIndex: number;
  received: number;
  gaps: number;
  lastSeq: bigint;
  ready: Promise<void>;
  done: Promise<void>;
  error?: string;
}

/** Output the worker would produce: one stdout line per item, timestamped when emitted. */
function item(seq: bigint, emittedAt: number, run: number) {
  return {
    seq,
    time: timestampFromMs(Date.now()),
    payload: { case: "log" as const, value: { stream: LogStream.STDOUT, text: logLine(emittedAt, run, Number(seq), LINE_CHARS) } },
  };
}

/**
 * Creates `n` runs and gets them assigned to simulated workers in "manual" mode (they report
 * RunStarted; their output is driven by the caller).
 */
async function assignRuns(server: BenchServer, assigned: FedRun[], n: number, phase: string) {
  const api = apiClient(server.url);
  try {
    const before = assigned.length;
    for (let i = 0; i < n; i++)
      await api.runs.createRun({ spec: { prompt: "bench: print many lines", agent: "shell" }, name: `${phase}:${i}` }, { timeoutMs: 30_000 });
    await waitUntil(() => assigned.length - before >= n, 30_000, `${n} ${phase} runs to be assigned`, 5);
    return assigned.slice(before);
  } finally {
    api.conn.close();
  }
}

/**
 * How subscribers connect. "browser": the Connect protocol over HTTP/1.1 without compression, as
 * connect-web in a browser does (a browser cannot speak h2c, and connect-web does not compress
 * streams). "grpc": connect-node's gRPC transport over one HTTP/2 connection, which accepts gzip, as a
 * CLI tailing logs would.
 */
export type SubscriberProtocol = "browser" | "grpc";

function subscriberTransport(url: string, protocol: SubscriberProtocol): { transport: Transport; close(): void } {
  if (protocol === "grpc") return connection(url, ADMIN_KEY);
  const agent = new http.Agent({ keepAlive: true });
  const transport = createConnectTransport({
    baseUrl: url,
    httpVersion: "1.1",
    acceptCompression: [],
    nodeOptions: { agent },
    interceptors: [bearer(ADMIN_KEY)],
  });
  return { transport, close: () => agent.destroy() };
}

/** 20 WatchRun streams spread over the runs, recording each line's delay from emission. */
function subscribe(
  conn: { transport: Transport },
  runs: FedRun[],
  count: number,
  delays: Samples,
  serverDelays: Samples | undefined,
  signal: AbortSignal,
): Subscriber[] {
  const client = createClient(RunService, conn.transport);
  return Array.from({ length: count }, (_, j) => {
    const run = runs[j % runs.length];
    let ready!: () => void;
    const sub: Subscriber = {
      runIndex: run.index,
      received: 0,
      gaps: 0,
      lastSeq: run.assign.firstSeq - 1n,
      ready: new Promise((r) => (ready = r)),
      done: Promise.resolve(),
    };
    sub.done = (async () => {
      try {
        for await (const res of client.watchRun({ runId: run.assign.runId }, { signal })) {
          ready();
          const t = now();
          for (const it of res.items as RunOutput[]) {
            if (it.payload.case !== "log") continue;
            if (it.seq !== sub.lastSeq + 1n) sub.gaps++;
            sub.lastSeq = it.seq;
            sub.received++;
            delays.push(t - emittedAtOf(it.payload.value.text));
            if (serverDelays && run.batchSentAt) serverDelays.push(t - run.batchSentAt[Number(it.seq)]);
          }
        }
      } catch (err) {
        if (!signal.aborted) sub.error = (err as Error).message;
      } finally {
        ready();
      }
    })();
    return sub;
  });
}

/** Resolves once the server acknowledged `seq` for the run; fails after 120 s without progress. */
async function waitAck(run: FedRun, seq: bigint) {
  while (run.ackedSeq < seq) {
    let timer: NodeJS.Timeout | undefined;
    const progressed = await new Promise<boolean>((r) => {
      run.ackWaiter = () => r(true);
      timer = setTimeout(() => r(false), 120_000);
    });
    clearTimeout(timer);
    if (!progressed) throw new Error(`no LogAck for run ${run.assign.runId} in 120 s (acked ${run.ackedSeq}, waiting for ${seq})`);
  }
}

export interface LogsResult {
  runs: number;
  linesPerRun: number;
  subscribers: number;
  subscriberProtocol: SubscriberProtocol;
  flood: {
    lines: number;
    seconds: number;
    /** Lines acknowledged as stored by the server (LogAck), per second. */
    persistedLinesPerSec: number;
    /** Rows counted in job_logs afterwards, and ListRunLogs reading the last lines back. */
    verifiedRows: number;
    verifiedByListRunLogs: boolean;
    avgLinesPerBatch: number;
    /** Emission → WatchRun subscriber, while the server is saturated with the flood, ms. */
    watchDelayMs: Summary;
    subscriberLinesReceived: number;
    subscriberGaps: number;
    serverCpuPct: number;
    /** Server CPU per line stored (including its fan-out to the subscribers), µs, and the rate one fully busy core would give. */
    serverCpuUsPerLine: number;
    serverCeilingLinesPerSec: number;
    benchCpuPct: number;
  };
  paced: {
    linesPerSecPerRun: number;
    seconds: number;
    lines: number;
    /** Emission → WatchRun subscriber: includes the worker-side batching (≤ 50 ms), ms. */
    watchDelayMs: Summary;
    /** Batch sent by the worker → WatchRun subscriber: the server, transport and fan-out part, ms. */
    serverPartMs: Summary;
    subscriberGaps: number;
    serverCpuPct: number;
  };
}

/**
 * The log pipeline. Flood: 8 runs each print `linesPerRun` lines as fast as the server takes them
 * (batches of 64 KiB, at most `windowBytes` unacknowledged per run, as the real worker is bounded by
 * HTTP/2 flow control and its buffer), with 20 WatchRun subscribers. Paced: 8 runs at a steady rate with
 * the real worker's 64 KiB / 50 ms flush rule, 20 subscribers, to read the live-tail delay.
 */
export async function runLogs(
  server: BenchServer,
  opts: {
    subscriberProtocol: SubscriberProtocol;
    runs: number;
    linesPerRun: number;
    subscribers: number;
    windowBytes: number;
    pacedRatePerRun: number;
    pacedSeconds: number;
    log: (s: string) => void;
  },
): Promise<LogsResult & { ddl: string }> {
  const byRun = new Map<string, FedRun>();
  const assigned: FedRun[] = [];
  const workerCount = 4;
  const conns = Array.from({ length: workerCount }, () => connection(server.url, WORKER_KEY));
  const onAssign = (a: Assign, _t: number, w: SimWorker) => {
    const run: FedRun = { index: assigned.length, assign: a, worker: w, nextSeq: a.firstSeq, ackedSeq: a.firstSeq - 1n };
    byRun.set(a.runId, run);
    assigned.push(run);
    w.send({ case: "runStarted", value: { runId: a.runId, attempt: a.attempt } });
  };
  const onAck = (ack: LogAck) => {
    const run = byRun.get(ack.runId);
    if (!run) return;
    if (ack.ackedSeq > run.ackedSeq) run.ackedSeq = ack.ackedSeq;
    const w = run.ackWaiter;
    run.ackWaiter = undefined;
    w?.();
  };
  const workers = conns.map(
    (c, i) => new SimWorker(c.transport, { name: `sim-logs-${i}`, capacity: Math.ceil(opts.runs / workerCount), mode: "manual", onAssign, onAck }),
  );
  await Promise.all(workers.map((w) => w.start()));
  const subConn = subscriberTransport(server.url, opts.subscriberProtocol);
  const stopSubs = new AbortController();
  setMaxListeners(0, stopSubs.signal);
  try {
    // ---- flood ----
    const floodRuns = await assignRuns(server, assigned, opts.runs, "logs-flood");
    const floodDelays = new Samples(opts.subscribers * opts.linesPerRun);
    const floodSubs = subscribe(subConn, floodRuns, opts.subscribers, floodDelays, undefined, stopSubs.signal);
    await Promise.all(floodSubs.map((s) => s.ready));
    let batches = 0;
    const server0 = cpuMeter(server.pid);
    const bench0 = selfCpuMeter();
    const t0 = now();
    await Promise.all(
      floodRuns.map(async (run) => {
        const last = run.assign.firstSeq + BigInt(opts.linesPerRun) - 1n;
        const linesPerBatch = Math.floor(FLUSH_BYTES / LINE_CHARS);
        const windowLines = BigInt(Math.floor(opts.windowBytes / LINE_CHARS));
        while (run.nextSeq <= last) {
          if (run.nextSeq - run.ackedSeq > windowLines) {
            await waitAck(run, run.nextSeq - windowLines);
            continue;
          }
          const items = [];
          const emittedAt = now();
          for (let i = 0; i < linesPerBatch && run.nextSeq <= last; i++) items.push(item(run.nextSeq++, emittedAt, run.index));
          run.worker.send({ case: "logBatch", value: { runId: run.assign.runId, attempt: run.assign.attempt, items: items as RunOutput[] } });
          batches++;
          // Let acks and subscriber messages in between batches, as a real event loop would.
          await new Promise<void>((r) => setImmediate(r));
        }
        await waitAck(run, last);
      }),
    );
    const seconds = (now() - t0) / 1000;
    const serverCpu = server0();
    const benchCpu = bench0();
    const lines = opts.runs * opts.linesPerRun;
    opts.log(`  log flood: ${lines} lines stored in ${seconds.toFixed(2)} s = ${Math.round(lines / seconds)} lines/s`);
    for (const run of floodRuns) run.worker.finish(run.assign.runId, run.assign.attempt, run.nextSeq - 1n);
    const floodSubsEnded = await Promise.race([Promise.all(floodSubs.map((s) => s.done)).then(() => true), sleep(30_000).then(() => false)]);
    if (!floodSubsEnded) opts.log("  warning: some WatchRun streams did not end within 30 s of their run finishing");

    const db = server.db();
    const ids = floodRuns.map((r) => r.assign.runId);
    const verifiedRows = (
      db.prepare(`SELECT COUNT(*) AS n FROM job_logs WHERE run_id IN (${ids.map(() => "?").join(",")})`).get(...ids) as { n: number }
    ).n;
    const api = apiClient(server.url);
    const tail = await api.runs.listRunLogs({ runId: ids[0], afterSeq: BigInt(opts.linesPerRun - 10), pageSize: 100 });
    api.conn.close();
    const verifiedByListRunLogs = tail.items.length === 10 && tail.end && tail.items[9].seq === BigInt(opts.linesPerRun);
    const ddl = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'job_logs'").get() as { sql: string }).sql;

    // ---- paced ----
    const pacedRuns = await assignRuns(server, assigned, opts.runs, "logs-paced");
    const maxLines = Math.ceil(opts.pacedRatePerRun * opts.pacedSeconds) + 10;
    for (const run of pacedRuns) run.batchSentAt = new Float64Array(Number(run.assign.firstSeq) + maxLines + 1);
    const pacedDelays = new Samples(opts.subscribers * maxLines);
    const serverPart = new Samples(opts.subscribers * maxLines);
    const pacedSubs = subscribe(subConn, pacedRuns, opts.subscribers, pacedDelays, serverPart, stopSubs.signal);
    await Promise.all(pacedSubs.map((s) => s.ready));
    const pacedServer0 = cpuMeter(server.pid);
    const tickMs = 10;
    let pacedLines = 0;
    await Promise.all(
      pacedRuns.map(async (run) => {
        // The real worker's log streamer: flush at 64 KiB, or 50 ms after the first unflushed line.
        let current: ReturnType<typeof item>[] = [];
        let bytes = 0;
        let timer: NodeJS.Timeout | undefined;
        const flush = () => {
          clearTimeout(timer);
          timer = undefined;
          if (!current.length) return;
          const sentAt = now();
          for (const it of current) run.batchSentAt![Number(it.seq)] = sentAt;
          run.worker.send({
            case: "logBatch",
            value: { runId: run.assign.runId, attempt: run.assign.attempt, items: current as unknown as RunOutput[] },
          });
          current = [];
          bytes = 0;
        };
        const start = now();
        let emitted = 0;
        // Stagger the runs so their ticks do not all coincide.
        await sleep((run.index * tickMs) / opts.runs);
        while (now() - start < opts.pacedSeconds * 1000 && emitted < maxLines - 10) {
          const due = Math.floor(((now() - start) / 1000) * opts.pacedRatePerRun);
          while (emitted < due) {
            current.push(item(run.nextSeq++, now(), run.index));
            bytes += LINE_CHARS;
            emitted++;
            if (bytes >= FLUSH_BYTES) flush();
            else timer ??= setTimeout(flush, FLUSH_MS);
          }
          await sleep(tickMs);
        }
        flush();
        pacedLines += emitted;
        await waitAck(run, run.nextSeq - 1n);
        run.worker.finish(run.assign.runId, run.assign.attempt, run.nextSeq - 1n);
      }),
    );
    const pacedCpu = pacedServer0();
    const pacedSubsEnded = await Promise.race([Promise.all(pacedSubs.map((s) => s.done)).then(() => true), sleep(30_000).then(() => false)]);
    if (!pacedSubsEnded) opts.log("  warning: some WatchRun streams did not end within 30 s of their run finishing");
    const subErrors = [...floodSubs, ...pacedSubs].map((s) => s.error).filter(Boolean);
    if (subErrors.length) opts.log(`  subscriber errors: ${subErrors[0]}`);

    return {
      ddl,
      runs: opts.runs,
      linesPerRun: opts.linesPerRun,
      subscribers: opts.subscribers,
      subscriberProtocol: opts.subscriberProtocol,
      flood: {
        lines,
        seconds: round(seconds, 3),
        persistedLinesPerSec: round(lines / seconds, 0),
        verifiedRows,
        verifiedByListRunLogs,
        avgLinesPerBatch: round(lines / batches, 1),
        watchDelayMs: roundSummary(floodDelays.summary(), 2),
        subscriberLinesReceived: floodSubs.reduce((n, s) => n + s.received, 0),
        subscriberGaps: floodSubs.reduce((n, s) => n + s.gaps, 0),
        serverCpuPct: round(serverCpu.pct, 1),
        serverCpuUsPerLine: round((serverCpu.cpuMs * 1000) / lines, 2),
        serverCeilingLinesPerSec: round(lines / (serverCpu.cpuMs / 1000), 0),
        benchCpuPct: round(benchCpu, 1),
      },
      paced: {
        linesPerSecPerRun: opts.pacedRatePerRun,
        seconds: opts.pacedSeconds,
        lines: pacedLines,
        watchDelayMs: roundSummary(pacedDelays.summary(), 2),
        serverPartMs: roundSummary(serverPart.summary(), 2),
        subscriberGaps: pacedSubs.reduce((n, s) => n + s.gaps, 0),
        serverCpuPct: round(pacedCpu.pct, 1),
      },
    };
  } finally {
    stopSubs.abort();
    subConn.close();
    await Promise.all(workers.map((w) => w.close()));
    conns.forEach((c) => c.close());
  }
}
