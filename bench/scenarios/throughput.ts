import { apiClient, TRIVIAL_SPEC, type ApiClient } from "../lib/clients";
import type { Child } from "../lib/procs";
import { startRealWorker, WORKER_KEY, type BenchServer } from "../lib/server";
import { connection, SimWorker } from "../lib/sim-worker";
import { cpuMeter, cpuMs, machineCpuMeter, now, round, Samples, selfCpuMeter, sleep, waitUntil, type Summary } from "../lib/util";
import { roundSummary } from "./dispatch";

export interface ThroughputResult {
  workers: number;
  slotsPerWorker: number;
  kind: "real" | "simulated";
  windowSeconds: number;
  /** Runs whose finish the server recorded inside the window, per second. */
  runsPerSec: number;
  completedInWindow: number;
  failedInWindow: number;
  createErrors: number;
  firstError?: string;
  /** Queued runs kept ahead of the workers. */
  backlog: number;
  serverCpuPct: number;
  /** Server CPU time per completed run, ms, and the rate one fully busy core would give at that cost. */
  serverCpuMsPerRun: number;
  serverCeilingRunsPerSec: number;
  /** CPU of everything the run needs (server, workers, agents, the bench's CreateRun calls) per run, ms. */
  totalCpuMsPerRun: number;
  /** The rate both cores fully busy would give at that cost. */
  twoCoreCeilingRunsPerSec: number;
  /** Sum over the worker processes (real) or the bench process (simulated), % of one core. */
  workersCpuPct: number;
  /** The agent processes (/bin/sh) the real workers spawned, % of one core. */
  agentsCpuPct: number;
  /** The bench process itself (CreateRun calls; for simulated workers, also the workers). */
  benchCpuPct: number;
  /** Busy time of the whole machine over the window, % of one core (200% = both cores busy). */
  machineCpuPct: number;
  /** One run at a time on an idle system: CreateRun → finish recorded (server clock), ms. */
  idleRunLatencyMs?: Summary;
}

/** Counts runs finished since the scenario started, from the server's database (read-only connection). */
function finishedCounter(server: BenchServer, since: number) {
  const stmt = server.db().prepare("SELECT COUNT(*) AS n FROM job_runs WHERE finished_at >= ?");
  return () => (stmt.get(since) as { n: number }).n;
}

/**
 * Closed loop: keeps `backlog` runs created-but-unfinished, creating more as runs finish, so the
 * workers never wait for work; the rate is read from the finish times the server recorded.
 */
export async function closedLoop(
  server: BenchServer,
  api: ApiClient,
  opts: { backlog: number; warmupMs: number; windowMs: number; finished: () => number; label: string; cpuPids: number[]; selfCpu: boolean },
) {
  let created = 0;
  let createErrors = 0;
  let firstError: string | undefined;
  let running = true;
  const pending = new Set<Promise<unknown>>();
  const creator = (async () => {
    while (running) {
      const deficit = opts.backlog - (created - opts.finished());
      for (let i = 0; i < deficit; i++) {
        created++;
        const p = api.runs.createRun({ spec: TRIVIAL_SPEC, name: `${opts.label}:${created}` }, { timeoutMs: 60_000 }).catch((err: Error) => {
          createErrors++;
          created--;
          firstError ??= err.message;
        });
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      await sleep(2);
    }
  })();
  await sleep(opts.warmupMs);
  const tA = Date.now();
  const server0 = cpuMeter(server.pid);
  const workers0 = opts.cpuPids.map((pid) => cpuMs(pid));
  const agents0 = opts.cpuPids.map((pid) => cpuMs(pid, true) - cpuMs(pid));
  const self0 = selfCpuMeter();
  const machine0 = machineCpuMeter();
  const w0 = now();
  await sleep(opts.windowMs);
  const tB = Date.now();
  const wall = now() - w0;
  const serverCpu = server0();
  const machineCpuPct = machine0();
  const benchCpuPct = self0();
  const workersCpuPct = opts.selfCpu ? benchCpuPct : (100 * opts.cpuPids.reduce((n, pid, i) => n + cpuMs(pid) - workers0[i], 0)) / wall;
  const agentsCpuPct = (100 * opts.cpuPids.reduce((n, pid, i) => n + (cpuMs(pid, true) - cpuMs(pid)) - agents0[i], 0)) / wall;
  running = false;
  await creator;
  await Promise.all(pending);
  // Let what was created finish, so the workers stop idle (bounded).
  await waitUntil(() => opts.finished() >= created, 30_000, `${opts.label}: backlog to drain`, 20).catch(() => undefined);
  const rows = server
    .db()
    .prepare("SELECT status, COUNT(*) AS n FROM job_runs WHERE finished_at >= ? AND finished_at < ? GROUP BY status")
    .all(tA, tB) as Array<{ status: string; n: number }>;
  const completed = rows.reduce((n, r) => n + r.n, 0);
  const failed = rows.filter((r) => r.status !== "succeeded").reduce((n, r) => n + r.n, 0);
  const windowSeconds = (tB - tA) / 1000;
  const serverMsPerRun = serverCpu.cpuMs / Math.max(1, completed);
  const totalMsPerRun = (((serverCpu.pct + (opts.selfCpu ? 0 : workersCpuPct + agentsCpuPct) + benchCpuPct) / 100) * wall) / Math.max(1, completed);
  return {
    windowSeconds,
    completed,
    failed,
    createErrors,
    firstError,
    serverCpuPct: round(serverCpu.pct, 1),
    serverCpuMsPerRun: round(serverMsPerRun, 3),
    serverCeilingRunsPerSec: round(1000 / serverMsPerRun, 0),
    totalCpuMsPerRun: round(totalMsPerRun, 3),
    twoCoreCeilingRunsPerSec: round(2000 / totalMsPerRun, 0),
    workersCpuPct: round(workersCpuPct, 1),
    agentsCpuPct: round(agentsCpuPct, 1),
    benchCpuPct: round(benchCpuPct, 1),
    machineCpuPct: round(machineCpuPct, 1),
    runsPerSec: round(completed / windowSeconds, 1),
  };
}

/** One run at a time: CreateRun, then wait for its finish in the database; finished_at − created_at. */
async function idleLatency(server: BenchServer, api: ApiClient, n: number): Promise<Summary> {
  const get = server.db().prepare("SELECT created_at, finished_at FROM job_runs WHERE id = ?");
  const s = new Samples(n);
  for (let i = 0; i < n; i++) {
    const { run } = await api.runs.createRun({ spec: TRIVIAL_SPEC, name: `idle:${i}` }, { timeoutMs: 30_000 });
    let row: { created_at: number; finished_at: number | null } | undefined;
    await waitUntil(
      () => {
        row = get.get(run!.id) as typeof row;
        return Boolean(row?.finished_at);
      },
      30_000,
      "an idle run to finish",
      1,
    );
    s.push(row!.finished_at! - row!.created_at);
    await sleep(20);
  }
  return roundSummary(s.summary(), 1);
}

/** 4 real worker processes (worker/src/main.ts, shell agent, prompt `true`) × 8 slots. */
export async function runThroughputReal(
  server: BenchServer,
  opts: { workers: number; capacity: number; warmupMs: number; windowMs: number; idleRuns: number; log: (s: string) => void },
): Promise<ThroughputResult> {
  const procs: Child[] = [];
  const api = apiClient(server.url);
  try {
    for (let i = 0; i < opts.workers; i++) procs.push(startRealWorker(server.url, `bench-worker-${i}`, opts.capacity));
    const online = server.db().prepare("SELECT COUNT(*) AS n FROM workers WHERE state = 'online'");
    await waitUntil(
      () => {
        for (const p of procs) if (p.child.exitCode !== null) throw new Error(`worker exited:\n${p.output()}`);
        return (online.get() as { n: number }).n >= opts.workers;
      },
      60_000,
      "real workers to connect",
      50,
    );
    const idle = await idleLatency(server, api, opts.idleRuns);
    opts.log(`  real worker, one run at a time: p50 ${idle.p50} ms create→finished`);
    const since = Date.now();
    const r = await closedLoop(server, api, {
      backlog: opts.workers * opts.capacity * 2,
      warmupMs: opts.warmupMs,
      windowMs: opts.windowMs,
      finished: finishedCounterPolled(server, since),
      label: "real",
      cpuPids: procs.map((p) => p.pid),
      selfCpu: false,
    });
    const { completed, failed, ...rest } = r;
    return {
      kind: "real",
      workers: opts.workers,
      slotsPerWorker: opts.capacity,
      backlog: opts.workers * opts.capacity * 2,
      ...rest,
      completedInWindow: completed,
      failedInWindow: failed,
      idleRunLatencyMs: idle,
    };
  } finally {
    // SIGTERM drains (nothing is running any more), then the process exits.
    await Promise.all(procs.map((p) => p.stop("SIGTERM", 10_000)));
    api.conn.close();
  }
}

/** The DB count, polled at most every 10 ms so the creator loop can call it freely. */
function finishedCounterPolled(server: BenchServer, since: number) {
  const count = finishedCounter(server, since);
  let last = 0;
  let at = 0;
  return () => {
    const t = now();
    if (t - at >= 10) {
      last = count();
      at = t;
    }
    return last;
  };
}

/** The same load with simulated workers (protocol only, same messages as the real worker sends). */
export async function runThroughputSim(
  server: BenchServer,
  opts: { workers: number; capacity: number; warmupMs: number; windowMs: number },
): Promise<ThroughputResult> {
  const conns = Array.from({ length: opts.workers }, () => connection(server.url, WORKER_KEY));
  // systemLines: 2 — the real worker's "Run started on worker…" and "Run succeeded (exit code 0)".
  const sims = conns.map((c, i) => new SimWorker(c.transport, { name: `sim-tput-${i}`, capacity: opts.capacity, mode: "instant", systemLines: 2 }));
  await Promise.all(sims.map((s) => s.start()));
  const api = apiClient(server.url);
  try {
    const finished = () => sims.reduce((n, s) => n + s.finishedAcks, 0);
    const r = await closedLoop(server, api, {
      backlog: opts.workers * opts.capacity * 2,
      warmupMs: opts.warmupMs,
      windowMs: opts.windowMs,
      finished,
      label: "sim",
      cpuPids: [],
      selfCpu: true,
    });
    const { completed, failed, ...rest } = r;
    return {
      kind: "simulated",
      workers: opts.workers,
      slotsPerWorker: opts.capacity,
      backlog: opts.workers * opts.capacity * 2,
      ...rest,
      completedInWindow: completed,
      failedInWindow: failed,
    };
  } finally {
    await Promise.all(sims.map((s) => s.close()));
    api.conn.close();
    conns.forEach((c) => c.close());
  }
}
