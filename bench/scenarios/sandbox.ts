import { apiClient } from "../lib/clients";
import type { Child } from "../lib/procs";
import { startRealWorker, type BenchServer } from "../lib/server";
import { round, waitUntil } from "../lib/util";
import { closedLoop } from "./throughput";

export interface SandboxModeResult {
  /** ORCH_SANDBOX of the workers. */
  sandbox: "off" | "bubblewrap";
  runsPerSec: number;
  completedInWindow: number;
  failedInWindow: number;
  firstError?: string;
  /** CPU of everything a run needs (server, workers, agents with their bwrap, the bench's CreateRun calls), ms. */
  totalCpuMsPerRun: number;
  /** Of that, the workers' and agents' processes (the sandbox's cost lands here), ms. */
  workersAndAgentsCpuMsPerRun: number;
  machineCpuPct: number;
}

export interface SandboxResult {
  workers: number;
  slotsPerWorker: number;
  windowSeconds: number;
  off: SandboxModeResult;
  bubblewrap: SandboxModeResult;
  /** bubblewrap − off, per run. */
  extraCpuMsPerRun: number;
  extraWorkerAndAgentCpuMsPerRun: number;
}

/**
 * The per-run cost of the sandbox: the same closed loop of trivial shell runs (prompt `true`) on real
 * workers (worker/src/main.ts), once with ORCH_SANDBOX=off and once with ORCH_SANDBOX=bubblewrap,
 * each on a fresh server. A sandboxed run starts bwrap (new namespaces, a procfs, tmpfs mounts)
 * around the shell, so the difference is what bubblewrap costs per run.
 */
export async function runSandbox(
  makeServer: <T>(label: string, fn: (s: BenchServer) => Promise<T>) => Promise<T>,
  opts: { workers: number; capacity: number; warmupMs: number; windowMs: number; log: (s: string) => void },
): Promise<SandboxResult> {
  const measure = (sandbox: "off" | "bubblewrap") =>
    makeServer(`sandbox-${sandbox}`, async (server): Promise<SandboxModeResult & { windowSeconds: number }> => {
      const procs: Child[] = [];
      const api = apiClient(server.url);
      try {
        for (let i = 0; i < opts.workers; i++) {
          procs.push(startRealWorker(server.url, `bench-sandbox-${sandbox}-${i}`, opts.capacity, { ORCH_SANDBOX: sandbox }));
        }
        const online = server.db().prepare("SELECT COUNT(*) AS n FROM workers WHERE state = 'online'");
        await waitUntil(
          () => {
            for (const p of procs) if (p.child.exitCode !== null) throw new Error(`worker exited (ORCH_SANDBOX=${sandbox}):\n${p.output()}`);
            return (online.get() as { n: number }).n >= opts.workers;
          },
          60_000,
          "real workers to connect",
          50,
        );
        const since = Date.now();
        const finished = server.db().prepare("SELECT COUNT(*) AS n FROM job_runs WHERE finished_at >= ?");
        const r = await closedLoop(server, api, {
          backlog: opts.workers * opts.capacity * 2,
          warmupMs: opts.warmupMs,
          windowMs: opts.windowMs,
          finished: () => (finished.get(since) as { n: number }).n,
          label: `sandbox-${sandbox}`,
          cpuPids: procs.map((p) => p.pid),
          selfCpu: false,
        });
        const perRun = (pct: number) => (pct / 100) * ((r.windowSeconds * 1000) / Math.max(1, r.completed));
        const result = {
          sandbox,
          windowSeconds: r.windowSeconds,
          runsPerSec: r.runsPerSec,
          completedInWindow: r.completed,
          failedInWindow: r.failed,
          firstError: r.firstError,
          totalCpuMsPerRun: r.totalCpuMsPerRun,
          workersAndAgentsCpuMsPerRun: round(perRun(r.workersCpuPct + r.agentsCpuPct), 3),
          machineCpuPct: r.machineCpuPct,
        };
        opts.log(`  ORCH_SANDBOX=${sandbox}: ${result.runsPerSec} runs/s, ${result.totalCpuMsPerRun} CPU ms per run`);
        return result;
      } finally {
        await Promise.all(procs.map((p) => p.stop("SIGTERM", 10_000)));
        api.conn.close();
      }
    });
  const { windowSeconds, ...off } = await measure("off");
  const { windowSeconds: _w, ...bubblewrap } = await measure("bubblewrap");
  return {
    workers: opts.workers,
    slotsPerWorker: opts.capacity,
    windowSeconds,
    off,
    bubblewrap,
    extraCpuMsPerRun: round(bubblewrap.totalCpuMsPerRun - off.totalCpuMsPerRun, 3),
    extraWorkerAndAgentCpuMsPerRun: round(bubblewrap.workersAndAgentsCpuMsPerRun - off.workersAndAgentsCpuMsPerRun, 3),
  };
}
