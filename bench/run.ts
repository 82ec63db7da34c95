/**
 * `npm run bench` — Flight Control's performance figures against its targets (BENCHMARKS.md, Targets).
 *
 *   npm run bench                      full run (about 5 minutes)
 *   npm run bench -- --quick           every figure, shorter windows (under 2 minutes)
 *   npm run bench -- --only=dispatch,logs   a subset: floors, dispatch, throughput, logs, fleet, repo, sandbox
 *   npm run bench -- --profile         also run each server under `node --cpu-prof` and print its
 *                                      top self-time functions (profiles in bench/results/profiles/)
 *   npm run bench -- --wait-quiet=60   wait up to 60 s before each scenario for other load to stop
 *   npm run bench -- --subscribers=grpc     WatchRun subscribers over connect-node gRPC (accepts gzip)
 *                                      instead of the default browser-like Connect over HTTP/1.1
 *   npm run bench -- --fleet-per-conn=250   fleet sessions per HTTP/2 connection (default 1)
 *
 * Every server and worker is a separate process on 127.0.0.1 with SQLite in a temp dir; everything
 * started is stopped, and every loop is bounded in count and time. Results: a table on stdout and
 * bench/results/latest.json.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatProfile, mainThreadProfile, profileClockUs, summarizeProfile, type ProfileSummary } from "./lib/profile";
import { REPO } from "./lib/procs";
import { startServer, type BenchServer, type ServerOptions } from "./lib/server";
import { machine, machineCpuMeter, now, round, sleep } from "./lib/util";
import { runDispatch, type DispatchResult } from "./scenarios/dispatch";
import { runFleet, type FleetResult } from "./scenarios/fleet";
import { echoFloor, sqliteFloor, type EchoFloor, type SqliteFloor } from "./scenarios/floors";
import { runLogs, type LogsResult, type SubscriberProtocol } from "./scenarios/logs";
import { runRepo, type RepoResult } from "./scenarios/repo";
import { runSandbox, type SandboxResult } from "./scenarios/sandbox";
import { runThroughputReal, runThroughputSim } from "./scenarios/throughput";
import { fmt, renderReport, type ScenarioEnv, type Target } from "./lib/report";

const SCENARIOS = ["floors", "dispatch", "throughput", "logs", "fleet", "repo", "sandbox"] as const;
type Scenario = (typeof SCENARIOS)[number];

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
if (flag("help")) {
  console.log(readFileSync(import.meta.filename, "utf8").split("*/")[0]);
  process.exit(0);
}
const quick = flag("quick");
const profile = flag("profile");
const waitQuietS = Number(option("wait-quiet") ?? 0);
const subscriberProtocol = (option("subscribers") ?? "browser") as SubscriberProtocol;
if (!["browser", "grpc"].includes(subscriberProtocol)) throw new Error("--subscribers= must be browser or grpc");
const only = new Set((option("only")?.split(",") ?? SCENARIOS) as Scenario[]);
for (const s of only) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario "${s}"; choose from ${SCENARIOS.join(", ")}`);

const CONFIG = quick
  ? {
      echo: { n: 1000, paced: 15 },
      dispatch: {
        warmupRuns: 300,
        workers: 4,
        capacity: 64,
        levels: [
          { rate: 10, seconds: 3 },
          { rate: 100, seconds: 2 },
          { rate: 1000, seconds: 1.5 },
        ],
      },
      throughput: { workers: 4, capacity: 8, warmupMs: 1000, windowMs: 4000, idleRuns: 10 },
      logs: { subscriberProtocol, runs: 8, linesPerRun: 25_000, subscribers: 20, windowBytes: 512 * 1024, pacedRatePerRun: 1000, pacedSeconds: 3 },
      fleet: {
        sessions: 1000,
        perConnection: Number(option("fleet-per-conn") ?? 1),
        capacity: 4,
        hbIntervalMs: 1000,
        quietMs: 2000,
        hbMs: 3000,
        dispatchRate: 100,
        dispatchSeconds: 2,
      },
      repo: { mib: 50, coldRuns: 2, warmRuns: 3 },
      sandbox: { workers: 2, capacity: 4, warmupMs: 1000, windowMs: 4000 },
    }
  : {
      echo: { n: 5000, paced: 100 },
      dispatch: {
        warmupRuns: 500,
        workers: 4,
        capacity: 64,
        levels: [
          { rate: 10, seconds: 30 },
          { rate: 100, seconds: 20 },
          { rate: 1000, seconds: 10 },
        ],
      },
      throughput: { workers: 4, capacity: 8, warmupMs: 3000, windowMs: 30_000, idleRuns: 30 },
      logs: { subscriberProtocol, runs: 8, linesPerRun: 100_000, subscribers: 20, windowBytes: 512 * 1024, pacedRatePerRun: 1000, pacedSeconds: 15 },
      fleet: {
        sessions: 1000,
        perConnection: Number(option("fleet-per-conn") ?? 1),
        capacity: 4,
        hbIntervalMs: 1000,
        quietMs: 5000,
        hbMs: 15_000,
        dispatchRate: 100,
        dispatchSeconds: 10,
      },
      repo: { mib: 50, coldRuns: 3, warmRuns: 5 },
      sandbox: { workers: 2, capacity: 4, warmupMs: 3000, windowMs: 15_000 },
    };

const log = (s: string) => process.stderr.write(`${s}\n`);

// A hard ceiling on the whole run, whatever happens (the exit hook in lib/procs kills every child).
const WATCHDOG_S = (quick ? 240 : 1200) + 6 * waitQuietS;
setTimeout(() => {
  log(`bench: still running after ${WATCHDOG_S} s; giving up`);
  process.exit(2);
}, WATCHDOG_S * 1000).unref();
const profileDir = join(REPO, "bench/results/profiles");

/** CPU of this process and every child it has reaped (servers, workers, their agents), ms. */
function treeCpuMs(): number {
  const rest = readFileSync("/proc/self/stat", "utf8");
  const f = rest.slice(rest.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
}

/** Machine busy time not caused by the bench, sampled for `ms` while the bench does nothing. */
async function foreignLoad(ms: number): Promise<number> {
  const m = machineCpuMeter();
  const c0 = treeCpuMs();
  await sleep(ms);
  return Math.max(0, m() - (100 * (treeCpuMs() - c0)) / ms);
}

const env: Partial<Record<Scenario, ScenarioEnv>> = {};
const profiles: Partial<Record<string, ProfileSummary>> = {};

async function scenario<T>(name: Scenario, body: () => Promise<T>): Promise<T | undefined> {
  if (!only.has(name)) return undefined;
  let before = await foreignLoad(1000);
  const deadline = Date.now() + waitQuietS * 1000;
  while (before > 30 && Date.now() < deadline) {
    log(`  (waiting for other load to settle: ${Math.round(before)}% of a core busy)`);
    before = await foreignLoad(2000);
  }
  if (before > 30) log(`  warning: other processes are using ${Math.round(before)}% of a core; figures will be disturbed`);
  log(`${name}…`);
  const m = machineCpuMeter();
  const c0 = treeCpuMs();
  const t0 = now();
  const out = await body();
  const wall = now() - t0;
  // Children are reaped by now, so their CPU is in treeCpuMs.
  env[name] = {
    foreignCpuBeforePct: round(before, 1),
    foreignCpuDuringPct: round(Math.max(0, m() - (100 * (treeCpuMs() - c0)) / wall), 1),
    seconds: round(wall / 1000, 1),
  };
  return out;
}

async function withServer<T>(label: string, body: (s: BenchServer) => Promise<T>, opts: ServerOptions = {}): Promise<T> {
  const dir = join(profileDir, `${label}-${started.toISOString().replace(/[:.]/g, "-")}`);
  const server = await startServer({ ...opts, cpuProfDir: profile ? dir : undefined });
  // Profile from "ready" to "stop": module loading and compilation at startup are left out.
  const from = profileClockUs();
  let to = from;
  try {
    return await body(server);
  } finally {
    to = profileClockUs();
    await server.stop();
    if (profile) {
      const f = mainThreadProfile(dir);
      if (f) {
        profiles[label] = summarizeProfile(f, 30, [from, to]);
        log(formatProfile(profiles[label]!, 12));
      }
    }
  }
}

const errors: string[] = [];
const started = new Date();
// The code measured: HEAD when the run starts, and whether server/ or worker/ had uncommitted edits.
let commit = "unknown";
try {
  commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO, encoding: "utf8" }).trim();
  if (execFileSync("git", ["status", "--porcelain", "--", "server", "worker"], { cwd: REPO, encoding: "utf8" }).trim()) commit += "+uncommitted";
} catch {
  /* not a checkout */
}
const t0 = now();
let echo: EchoFloor | undefined;
let sqlite: SqliteFloor | undefined;
let ddl: string | undefined;

echo = await scenario("floors", () => echoFloor(CONFIG.echo)).then(
  (r) => r,
  (err) => fail("floors", err),
);
const dispatch: DispatchResult | undefined = await scenario("dispatch", () =>
  withServer("dispatch", (s) => runDispatch(s, { ...CONFIG.dispatch, log })),
).catch((err) => fail("dispatch", err));
const throughput = await scenario("throughput", async () => {
  const real = await withServer("throughput-real", (s) => runThroughputReal(s, { ...CONFIG.throughput, log })).catch((err) =>
    fail("throughput (real workers)", err),
  );
  if (real) log(`  real workers: ${real.runsPerSec} runs/s`);
  const sim = await withServer("throughput-sim", (s) => runThroughputSim(s, CONFIG.throughput)).catch((err) => fail("throughput (simulated)", err));
  if (sim) log(`  simulated workers: ${sim.runsPerSec} runs/s`);
  return { real, simulated: sim };
});
const logs: LogsResult | undefined = await scenario("logs", () =>
  withServer("logs", async (s) => {
    const r = await runLogs(s, { ...CONFIG.logs, log });
    ddl = r.ddl;
    const { ddl: _ddl, ...rest } = r;
    return rest;
  }),
).catch((err) => fail("logs", err));
if (only.has("floors")) {
  try {
    ddl ??= await withServer(
      "schema",
      async (s) => (s.db().prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'job_logs'").get() as { sql: string }).sql,
    );
    const rowsPerBatch = logs ? Math.round(logs.flood.avgLinesPerBatch) : 655;
    sqlite = sqliteFloor({ ddl, runs: CONFIG.logs.runs, linesPerRun: CONFIG.logs.linesPerRun, rowsPerBatch });
    log(`  sqlite floor: ${sqlite.singleRowLinesPerSec} lines/s`);
  } catch (err) {
    fail("sqlite floor", err);
  }
}
const fleet: FleetResult | undefined = await scenario("fleet", () =>
  withServer("fleet", (s) => runFleet(s, { ...CONFIG.fleet, log }), { env: { ORCH_WORKER_LOST_AFTER_MS: "60000" } }),
).catch((err) => fail("fleet", err));

const repo: RepoResult | undefined = await scenario("repo", () => withServer("repo", (s) => runRepo(s, { ...CONFIG.repo, log }))).catch((err) =>
  fail("repo", err),
);

const sandbox: SandboxResult | undefined = await scenario("sandbox", () => runSandbox(withServer, { ...CONFIG.sandbox, log })).catch((err) =>
  fail("sandbox", err),
);

function fail(what: string, err: unknown): undefined {
  const msg = `${what} failed: ${(err as Error).stack ?? err}`;
  errors.push(msg);
  log(msg);
  return undefined;
}

// ---------- ratios, targets, report ----------

const ratio = (a: number | undefined, b: number | undefined, d = 1) => (a !== undefined && b !== undefined && b > 0 ? round(a / b, d) : undefined);
const echoFor = (rate: number) => (rate <= 10 ? echo?.pacedMs : echo?.backToBackMs);
const dispatchRatios = dispatch?.levels.map((l) => ({
  rate: l.offeredRate,
  floor: l.offeredRate <= 10 ? "echo paced (10/s)" : "echo back-to-back",
  p50: ratio(l.latencyMs.p50, echoFor(l.offeredRate)?.p50),
  p99: ratio(l.latencyMs.p99, echoFor(l.offeredRate)?.p99),
}));

const targets: Target[] = [];
for (const l of dispatch?.levels ?? []) {
  targets.push({ name: `dispatch p50 @ ${l.offeredRate}/s`, target: "≤ 2 ms", measured: fmt(l.latencyMs.p50, " ms"), pass: l.latencyMs.p50 <= 2 });
  targets.push({ name: `dispatch p99 @ ${l.offeredRate}/s`, target: "≤ 10 ms", measured: fmt(l.latencyMs.p99, " ms"), pass: l.latencyMs.p99 <= 10 });
}
if (throughput?.real)
  targets.push({
    name: "trivial runs/s end to end (4 real workers × 8)",
    target: "≥ 1,000/s",
    measured: fmt(throughput.real.runsPerSec, "/s", 0),
    pass: throughput.real.runsPerSec >= 1000,
  });
if (throughput?.simulated)
  targets.push({
    name: "trivial runs/s, simulated workers (server ceiling)",
    target: "≥ 1,000/s",
    measured: fmt(throughput.simulated.runsPerSec, "/s", 0),
    pass: throughput.simulated.runsPerSec >= 1000,
  });
if (logs) {
  targets.push({
    name: "log lines persisted/s (8 runs)",
    target: "≥ 200,000/s",
    measured: fmt(logs.flood.persistedLinesPerSec, "/s", 0),
    pass: logs.flood.persistedLinesPerSec >= 200_000 && logs.flood.verifiedRows === logs.flood.lines,
  });
  targets.push({
    name: "line → WatchRun p99 (paced, 20 subscribers)",
    target: "≤ 100 ms",
    measured: fmt(logs.paced.watchDelayMs.p99, " ms"),
    pass: logs.paced.watchDelayMs.p99 <= 100,
  });
  targets.push({
    name: "line → WatchRun p99 (during the flood)",
    target: "≤ 100 ms",
    measured: fmt(logs.flood.watchDelayMs.p99, " ms"),
    pass: logs.flood.watchDelayMs.p99 <= 100,
  });
}
if (fleet)
  targets.push({
    name: "connected workers on one server",
    target: "1,000",
    measured: `${fleet.sessions - fleet.errors}`,
    pass: fleet.sessions - fleet.errors >= 1000,
  });

const d100 = dispatch?.levels.find((l) => l.offeredRate === 100);
const anchors = {
  hatchetP95DispatchMs: 25,
  ourP95At100PerSecMs: d100?.latencyMs.p95,
  /** A poller with a 5 s interval waits 2.5 s on average (uniform over the interval), 5 s at worst. */
  pollingFlightControlMeanDispatchMs: 2500,
  vsHatchetP95: ratio(d100?.latencyMs.p95, 25, 3),
  vsPollingMean: ratio(d100?.latencyMs.mean, 2500, 5),
};

const results = {
  mode: quick ? "quick" : "full",
  startedAt: started.toISOString(),
  seconds: round((now() - t0) / 1000, 1),
  commit,
  machine: machine(),
  config: CONFIG,
  environment: env,
  floors: { echo, sqlite },
  dispatch: dispatch && { ...dispatch, ratiosToEchoFloor: dispatchRatios },
  throughput,
  logs: logs && {
    ...logs,
    ratios: {
      persistedToSqliteFloor: ratio(logs.flood.persistedLinesPerSec, sqlite?.singleRowLinesPerSec, 3),
      watchServerPartP50ToEchoP50: ratio(logs.paced.serverPartMs.p50, echo?.backToBackMs.p50),
    },
  },
  fleet: fleet && { ...fleet, dispatchRatioToEchoP50: ratio(fleet.dispatch.latencyMs.p50, echo?.backToBackMs.p50) },
  repo,
  sandbox,
  targets,
  anchors,
  profiles: profile ? profiles : undefined,
  errors,
};

mkdirSync(join(REPO, "bench/results"), { recursive: true });
const out = join(REPO, "bench/results/latest.json");
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);

console.log(`${renderReport(results)}\nJSON: ${out}`);
process.exit(errors.length ? 1 : 0);
