import { apiClient, DispatchRecorder, offer, type ApiClient } from "../lib/clients";
import type { BenchServer } from "../lib/server";
import { WORKER_KEY } from "../lib/server";
import { connection, SimWorker } from "../lib/sim-worker";
import { cpuMeter, round, selfCpuMeter, sleep, waitUntil, type Summary } from "../lib/util";

export interface DispatchLevel {
  offeredRate: number;
  sentRate: number;
  runs: number;
  assigned: number;
  errors: number;
  firstError?: string;
  /** CreateRun call → Assign received by the simulated worker, ms. */
  latencyMs: Summary;
  /** CreateRun call → its response, ms. */
  createRttMs: Summary;
  serverCpuPct: number;
  /** Server CPU time per run, from CreateRun to its finish being recorded, ms. */
  serverCpuMsPerRun: number;
  benchCpuPct: number;
}

export function roundSummary(s: Summary, d = 3): Summary {
  return { n: s.n, p50: round(s.p50, d), p95: round(s.p95, d), p99: round(s.p99, d), max: round(s.max, d), mean: round(s.mean, d) };
}

/**
 * Measures one offered rate against already-connected simulated workers whose onAssign feeds `rec`.
 * Waits until every run is assigned and every slot is free again before returning.
 */
export async function dispatchLevel(
  server: BenchServer,
  api: ApiClient,
  rec: DispatchRecorder,
  sims: SimWorker[],
  phase: string,
  rate: number,
  runs: number,
): Promise<DispatchLevel> {
  const finishedBefore = sims.reduce((n, s) => n + s.finishedAcks, 0);
  const server0 = cpuMeter(server.pid);
  const bench0 = selfCpuMeter();
  const o = await offer(api, rec, phase, rate, runs);
  const expected = runs - o.errors;
  await waitUntil(() => rec.assignedCount >= expected, 60_000, `${phase}: ${expected} Assigns`, 2).catch(() => undefined);
  const serverCpu = server0();
  const benchCpu = bench0();
  // Slots free up: every assigned run's RunFinished has been acknowledged.
  await waitUntil(() => sims.reduce((n, s) => n + s.finishedAcks, 0) - finishedBefore >= rec.assignedCount, 60_000, `${phase}: finish acks`, 5).catch(
    () => undefined,
  );
  const serverCpuAll = server0();
  return {
    offeredRate: rate,
    sentRate: round(o.sentRate, 1),
    runs,
    assigned: rec.assignedCount,
    errors: o.errors,
    firstError: o.firstError,
    latencyMs: roundSummary(rec.latencies().summary()),
    createRttMs: roundSummary(o.createRtt.summary()),
    serverCpuPct: round(serverCpu.pct, 1),
    serverCpuMsPerRun: round(serverCpuAll.cpuMs / Math.max(1, rec.assignedCount), 3),
    benchCpuPct: round(benchCpu, 1),
  };
}

export interface DispatchResult {
  workers: number;
  slotsPerWorker: number;
  levels: DispatchLevel[];
}

/** Dispatch latency at several offered rates, with simulated workers that free their slot at once. */
export async function runDispatch(
  server: BenchServer,
  opts: { levels: Array<{ rate: number; seconds: number }>; workers: number; capacity: number; warmupRuns: number; log: (s: string) => void },
): Promise<DispatchResult> {
  const rec = new DispatchRecorder();
  const conns = Array.from({ length: opts.workers }, () => connection(server.url, WORKER_KEY));
  const sims = conns.map(
    (c, i) => new SimWorker(c.transport, { name: `sim-dispatch-${i}`, capacity: opts.capacity, mode: "instant", onAssign: rec.onAssign }),
  );
  await Promise.all(sims.map((s) => s.start()));
  const api = apiClient(server.url);
  try {
    // Warm up JIT and connections; not recorded.
    await dispatchLevel(server, api, rec, sims, "warmup", 200, opts.warmupRuns);
    await sleep(200);
    const levels: DispatchLevel[] = [];
    for (const { rate, seconds } of opts.levels) {
      const level = await dispatchLevel(server, api, rec, sims, `rate${rate}`, rate, Math.round(rate * seconds));
      opts.log(
        `  dispatch @ ${rate}/s: p50 ${level.latencyMs.p50} ms, p99 ${level.latencyMs.p99} ms (${level.assigned}/${level.runs} assigned, server CPU ${level.serverCpuPct}%)`,
      );
      levels.push(level);
      await sleep(300);
    }
    return { workers: opts.workers, slotsPerWorker: opts.capacity, levels };
  } finally {
    await Promise.all(sims.map((s) => s.close()));
    api.conn.close();
    conns.forEach((c) => c.close());
  }
}
