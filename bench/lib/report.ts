import type { DispatchResult } from "../scenarios/dispatch";
import type { FleetResult } from "../scenarios/fleet";
import type { EchoFloor, SqliteFloor } from "../scenarios/floors";
import type { LogsResult } from "../scenarios/logs";
import type { RepoResult } from "../scenarios/repo";
import type { SandboxResult } from "../scenarios/sandbox";
import type { ThroughputResult } from "../scenarios/throughput";
import { round } from "./util";

export interface ScenarioEnv {
  /** Other processes' CPU before the scenario, % of one core. */
  foreignCpuBeforePct: number;
  /** Machine busy time during the scenario not used by the bench or its children, % of one core. */
  foreignCpuDuringPct: number;
  seconds: number;
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  pass: boolean | null;
}

/** What bench/run.ts writes to bench/results/latest.json, as far as the table reads it. */
export interface BenchResults {
  mode: string;
  seconds: number;
  commit: string;
  machine: { cpu: string; cores: number; memoryGiB?: number; node: string };
  environment: Partial<Record<string, ScenarioEnv>>;
  floors: { echo?: EchoFloor; sqlite?: SqliteFloor };
  dispatch?: DispatchResult & { ratiosToEchoFloor?: Array<{ p50?: number; p99?: number }> };
  throughput?: { real?: ThroughputResult; simulated?: ThroughputResult };
  logs?: LogsResult & { ratios: { persistedToSqliteFloor?: number; watchServerPartP50ToEchoP50?: number } };
  fleet?: FleetResult & { dispatchRatioToEchoP50?: number };
  repo?: RepoResult;
  sandbox?: SandboxResult;
  targets: Target[];
  anchors: { ourP95At100PerSecMs?: number; vsHatchetP95?: number };
  errors: string[];
}

export const fmt = (v: number | undefined, unit = "", d = 2) => (v === undefined || Number.isNaN(v) ? "n/a" : `${round(v, d)}${unit}`);

/** The human-readable table of a bench run, printed after the JSON is written. */
export function renderReport(results: BenchResults): string {
  const L: string[] = [];
  const { echo, sqlite } = results.floors;
  const { dispatch, throughput, logs, fleet, repo, sandbox, targets, anchors } = results;
  const dispatchRatios = dispatch?.ratiosToEchoFloor;
  const d100 = dispatch?.levels.find((l) => l.offeredRate === 100);
  const m = results.machine;
  L.push(
    `Flight Control bench (${results.mode}) — ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, commit ${results.commit}, ${results.seconds} s`,
  );
  L.push("");
  const table = (head: string[], rows: Array<Array<string | number | undefined>>) => {
    const cells = [head, ...rows.map((r) => r.map((c) => (c === undefined ? "n/a" : String(c))))];
    const w = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
    for (const [i, r] of cells.entries()) {
      L.push(r.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join("  "));
      if (i === 0) L.push(w.map((n) => "-".repeat(n)).join("  "));
    }
    L.push("");
  };
  if (echo || sqlite) {
    L.push("FLOORS");
    table(
      ["floor", "p50", "p95", "p99", "rate"],
      [
        ["connect-node bidi echo RTT, back-to-back (ms)", echo?.backToBackMs.p50, echo?.backToBackMs.p95, echo?.backToBackMs.p99, ""],
        ["connect-node bidi echo RTT, 10/s (ms)", echo?.pacedMs.p50, echo?.pacedMs.p95, echo?.pacedMs.p99, ""],
        ["SQLite batched insert, single-row stmt (lines/s)", "", "", "", sqlite?.singleRowLinesPerSec],
        ["SQLite batched insert, server's stmt shape (lines/s)", "", "", "", sqlite?.serverShapeLinesPerSec],
      ],
    );
  }
  if (dispatch) {
    L.push(`DISPATCH LATENCY — CreateRun call → Assign received (${dispatch.workers} simulated workers × ${dispatch.slotsPerWorker} slots)`);
    table(
      ["offered", "sent/s", "runs", "p50 ms", "p95 ms", "p99 ms", "max ms", "p50×floor", "p99×floor", "CreateRun p50", "server CPU", "CPU ms/run"],
      dispatch.levels.map((l, i) => [
        `${l.offeredRate}/s`,
        l.sentRate,
        `${l.assigned}/${l.runs}`,
        l.latencyMs.p50,
        l.latencyMs.p95,
        l.latencyMs.p99,
        l.latencyMs.max,
        dispatchRatios?.[i].p50,
        dispatchRatios?.[i].p99,
        l.createRttMs.p50,
        `${l.serverCpuPct}%`,
        l.serverCpuMsPerRun,
      ]),
    );
  }
  if (throughput) {
    L.push("THROUGHPUT — trivial runs completed per second (closed loop, backlog 2× slots)");
    table(
      [
        "workers",
        "runs/s",
        "window s",
        "completed",
        "failed",
        "server CPU",
        "workers CPU",
        "agents CPU",
        "machine CPU",
        "server ms/run",
        "1-core server ceiling",
        "all ms/run",
        "2-core ceiling",
      ],
      [throughput.real, throughput.simulated]
        .filter(Boolean)
        .map((t) => [
          `${t!.workers}×${t!.slotsPerWorker} ${t!.kind}`,
          t!.runsPerSec,
          t!.windowSeconds,
          t!.completedInWindow,
          t!.failedInWindow,
          `${t!.serverCpuPct}%`,
          `${t!.workersCpuPct}%`,
          t!.kind === "real" ? `${t!.agentsCpuPct}%` : "-",
          `${t!.machineCpuPct}%`,
          t!.serverCpuMsPerRun,
          `${t!.serverCeilingRunsPerSec}/s`,
          t!.totalCpuMsPerRun,
          `${t!.twoCoreCeilingRunsPerSec}/s`,
        ]),
    );
    L.push(
      "  ceilings: the rate at which the CPU measured per run would fill one core (server) or both cores (everything);\n  far less sensitive to other load on the machine than the rates themselves.\n",
    );
    if (throughput.real?.idleRunLatencyMs)
      L.push(
        `  one run at a time on a real worker: create → finished p50 ${throughput.real.idleRunLatencyMs.p50} ms, p95 ${throughput.real.idleRunLatencyMs.p95} ms\n`,
      );
  }
  if (logs) {
    L.push(
      `LOG PIPELINE — ${logs.runs} runs × ${logs.linesPerRun} lines, ${logs.subscribers} WatchRun subscribers (${logs.subscriberProtocol === "browser" ? "Connect over HTTP/1.1, like connect-web" : "gRPC over HTTP/2, gzip accepted"})`,
    );
    table(
      ["figure", "value", "floor", "×floor"],
      [
        [
          "lines persisted/s (LogAck'd; rows verified)",
          `${logs.flood.persistedLinesPerSec} (${logs.flood.verifiedRows === logs.flood.lines && logs.flood.verifiedByListRunLogs ? "verified" : "NOT VERIFIED"})`,
          sqlite?.singleRowLinesPerSec,
          results.logs?.ratios.persistedToSqliteFloor,
        ],
        [
          "server CPU per line stored, incl. fan-out (µs) → 1-core ceiling",
          `${logs.flood.serverCpuUsPerLine} → ${logs.flood.serverCeilingLinesPerSec}/s`,
          "",
          "",
        ],
        ["line → WatchRun during flood p50 / p99 (ms)", `${logs.flood.watchDelayMs.p50} / ${logs.flood.watchDelayMs.p99}`, "", ""],
        [
          `line → WatchRun paced ${logs.paced.linesPerSecPerRun}/s/run p50 / p99 (ms)`,
          `${logs.paced.watchDelayMs.p50} / ${logs.paced.watchDelayMs.p99}`,
          "",
          "",
        ],
        [
          "  of which batch sent → WatchRun p50 / p99 (ms)",
          `${logs.paced.serverPartMs.p50} / ${logs.paced.serverPartMs.p99}`,
          echo?.backToBackMs.p50,
          results.logs?.ratios.watchServerPartP50ToEchoP50,
        ],
        ["subscriber gaps (must be 0)", logs.flood.subscriberGaps + logs.paced.subscriberGaps, "", ""],
      ],
    );
  }
  if (fleet) {
    L.push(`FLEET — ${fleet.sessions} simulated worker sessions, ${fleet.sessionsPerConnection} per HTTP/2 connection`);
    table(
      ["figure", "value"],
      [
        ["server RSS idle / with fleet (MiB)", `${fleet.rssIdleMiB} / ${fleet.rssConnectedMiB}`],
        ["memory per session (KiB)", fleet.perSessionKiB],
        [`CPU per heartbeat (µs) at ${fleet.heartbeat.heartbeatsPerSec}/s`, fleet.heartbeat.cpuPerHeartbeatUs],
        [`heartbeat CPU at the ${fleet.heartbeat.serverIntervalMs} ms default, whole fleet`, `${fleet.heartbeat.cpuPctAtDefaultInterval}% of a core`],
        [
          `dispatch @ ${fleet.dispatch.offeredRate}/s with the fleet p50 / p99 (ms)`,
          `${fleet.dispatch.latencyMs.p50} / ${fleet.dispatch.latencyMs.p99}`,
        ],
        ["sessions failed", fleet.errors],
      ],
    );
  }
  if (repo) {
    L.push(`RUN ON A REPOSITORY — ${repo.repoMiB} MiB of random files (${repo.files} files) over git://, CreateRun → the agent's first line`);
    table(
      ["mirror", "runs", "p50 ms", "max ms", "checkout phase p50 s"],
      [
        ["cold (clone --mirror, then local clone)", repo.coldStartMs.n, repo.coldStartMs.p50, repo.coldStartMs.max, repo.coldCheckoutS],
        ["warm (fetch --prune, then local clone)", repo.warmStartMs.n, repo.warmStartMs.p50, repo.warmStartMs.max, repo.warmCheckoutS],
      ],
    );
  }
  if (sandbox) {
    L.push(
      `SANDBOX COST — ${sandbox.workers} real workers × ${sandbox.slotsPerWorker} slots, shell agent \`true\`, closed loop, ${sandbox.windowSeconds} s window each`,
    );
    table(
      ["ORCH_SANDBOX", "runs/s", "CPU ms per run (all)", "workers + agents CPU ms per run", "failed"],
      [sandbox.off, sandbox.bubblewrap].map((m) => [m.sandbox, m.runsPerSec, m.totalCpuMsPerRun, m.workersAndAgentsCpuMsPerRun, m.failedInWindow]),
    );
    L.push(
      `bubblewrap costs ${sandbox.extraCpuMsPerRun} CPU ms more per run (${sandbox.extraWorkerAndAgentCpuMsPerRun} of it in the worker and agent processes).`,
    );
  }
  L.push("TARGETS (BENCHMARKS.md, Targets)");
  table(
    ["target", "goal", "measured", ""],
    targets.map((t) => [t.name, t.target, t.measured, t.pass === null ? "" : t.pass ? "ok" : "MISS"]),
  );
  L.push(
    `Anchors: Hatchet ~25 ms p95 dispatch → ours p95 @100/s ${fmt(anchors.ourP95At100PerSecMs, " ms")} (${fmt(anchors.vsHatchetP95, "×", 3)}); a 5 s poller waits 2,500 ms on average → ours mean ${fmt(d100?.latencyMs.mean, " ms")}.`,
  );
  const disturbed = Object.entries(results.environment).filter(([, e]) => e!.foreignCpuDuringPct > 20);
  if (disturbed.length)
    L.push(
      `Note: other processes used CPU during ${disturbed.map(([k, e]) => `${k} (${e!.foreignCpuDuringPct}%)`).join(", ")}; those figures are disturbed.`,
    );
  if (results.errors.length) L.push(`ERRORS:\n${results.errors.join("\n")}`);
  return L.join("\n");
}
