import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { RunService, RunStatus, RunView, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService, WorkerState } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { freePort } from "../../../testkit/free-port";
import { startServerProcess, type ServerProcess } from "../../../testkit/server-process";
import { checkRuns, type RunCheck } from "./check-runs";
import { checkExecutions } from "./check-executions";
import { describeProcess, processesWithEnv, startExecutionMonitor } from "./executions";
import { createSlot, type Slot } from "./fleet";
import { createInjector, type FaultKind } from "./inject";
import { createRandom } from "./prng";
import type { Sample } from "./stats";

export interface ScenarioOptions {
  seed: number;
  runs: number;
  workers: number;
  capacity: number;
  lostAfterMs: number;
  maxAttempts: number;
  print(line: string): void;
}

export interface ScenarioResult {
  seed: number;
  violations: string[];
  counts: Record<string, number>;
  faults: string[];
  /** Overlapping executions inside the documented lease window (see check-executions.ts). */
  leaseWindow: string[];
  samples: Sample[];
  executions: number;
  reaped: number;
  ms: number;
}

/**
 * The agent each run executes: mostly chatty (a line every 10 ms), some quiet for long stretches (an
 * orphan of a killed worker only notices its dead pipe at its next line, so these outlive their
 * worker), some leaving a grandchild that never writes (it lives until its group is killed).
 */
function prompt(i: number, mark: string): { text: string; lines: number } {
  // Quiet for 3 s after its first line: an orphan of this one outlives its worker's replacement's
  // start unless the replacement kills it.
  if (i % 12 === 5) return { text: `lines=2 sleep_ms=3000 mark=${mark}`, lines: 2 };
  if (i % 20 === 7) return { text: `spawn_child lines=20 sleep_ms=15 mark=${mark}`, lines: 20 };
  if (i % 10 === 3) return { text: `lines=3 sleep_ms=700 mark=${mark}`, lines: 3 };
  return { text: `lines=30 sleep_ms=10 mark=${mark}`, lines: 30 };
}

/**
 * One seeded fault scenario: a real server process, `workers` real worker processes behind
 * test-owned TCP proxies, `runs` runs, and faults in a seeded random order until every run ended;
 * then the invariants. Returns violations instead of throwing so the caller can print them all.
 */
export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const rnd = createRandom(o.seed);
  const root = mkdtempSync(join(tmpdir(), `faultsuite-${o.seed}-`));
  const dataDir = join(root, "data");
  const recordDir = join(root, "records");
  mkdirSync(recordDir);
  // Every process of this scenario (workers, agents, their children) carries this in its environment.
  const scenarioEnv = `FAKE_AGENT_RECORD_DIR=${recordDir}`;
  const port = await freePort();
  const serverEnv = { ORCH_WORKER_LOST_AFTER_MS: String(o.lostAfterMs), ORCH_LOG_LEVEL: "warn" };
  let server: ServerProcess | undefined;
  const slots: Slot[] = [];
  const monitor = startExecutionMonitor(recordDir);
  const samples: Sample[] = [];
  const faultLog: string[] = [];
  const violations: string[] = [];
  const counts: Record<string, number> = {};
  const leaseWindow: string[] = [];
  let reaped = 0;

  const url = `http://127.0.0.1:${port}`;
  const runsApi = client(RunService, url, ADMIN_KEY);
  const workersApi = client(WorkerService, url, ADMIN_KEY);
  /** A read that may hit the server while it is down or restarting: retried until it answers. */
  const retry = <T>(fn: () => Promise<T>, what: string) =>
    waitFor(
      () =>
        fn().then(
          (v) => ({ v }),
          () => undefined,
        ),
      { timeoutMs: 30_000, intervalMs: 20, what },
    ).then((r) => r.v);

  const note = (line: string) => {
    faultLog.push(`+${((Date.now() - started) / 1000).toFixed(1)}s ${line}`);
  };

  try {
    server = await startServerProcess(dataDir, port, serverEnv);
    for (let i = 0; i < o.workers; i++) {
      slots.push(await createSlot({ name: `w${i + 1}`, rootDir: join(root, "workers"), serverPort: port, recordDir, capacity: o.capacity }));
    }
    for (const s of slots) s.start();
    await waitFor(async () => (await workersApi.listWorkers({})).workers.filter((w) => w.state === WorkerState.ONLINE).length === o.workers, {
      timeoutMs: 30_000,
      what: `${o.workers} workers online`,
    });

    // Every run carries a unique mark in its prompt: the fake agents' execution records name it.
    const marks = new Map<string, { lines: number }>();
    for (let i = 0; i < o.runs; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, o.runs - i) }, (_, k) => {
          const mark = `s${o.seed}r${i + k}`;
          const p = prompt(i + k, mark);
          marks.set(mark, { lines: p.lines });
          return runsApi.createRun({
            spec: { agent: "goose", prompt: p.text, maxAttempts: o.maxAttempts, timeoutSeconds: 120 },
            labels: { suite: "faults", seed: String(o.seed) },
          });
        }),
      );
    }

    const unfinished = async () =>
      (
        await retry(
          () =>
            runsApi.listRuns({ labels: { seed: String(o.seed) }, statuses: [RunStatus.QUEUED, RunStatus.ASSIGNED, RunStatus.RUNNING], pageSize: 1 }),
          "list unfinished",
        )
      ).runs.length;

    // ---- faults -------------------------------------------------------------------------------
    const inject = createInjector({
      seed: o.seed,
      lostAfterMs: o.lostAfterMs,
      slots,
      runs: runsApi,
      retry,
      note,
      samples,
      server: {
        kill: async () => {
          await server!.kill("SIGKILL");
        },
        start: async () => {
          server = await startServerProcess(dataDir, port, serverEnv);
        },
      },
    });

    // Each kind once first (seeded order), so even a short run sees all four; then weighted picks.
    const forced = rnd.shuffle<FaultKind>(["kill", "restart", "cut", "partition"]);
    const pending: Promise<void>[] = [];
    const deadline = Date.now() + Math.max(120_000, o.runs * 1000);
    while (forced.length || (await unfinished()) > 0) {
      if (Date.now() > deadline) throw new Error("runs did not finish in time");
      // Fault timing is the test's input (seeded), not a wait for a condition.
      await delay(rnd.int(150, 1200));
      const kind =
        forced.shift() ??
        rnd.weighted<FaultKind>([
          ["kill", 3],
          ["cut", 2],
          ["restart", 1],
          ["partition", 1],
        ]);
      const overlap = rnd.chance(0.25);
      let p: Promise<void>;
      if (kind === "kill") {
        const i = rnd.int(0, slots.length - 1);
        // Mostly a supervisor restart well inside the lease; sometimes only after the lease expired.
        const replaceAfter = rnd.chance(0.7) ? rnd.int(0, 300) : rnd.int(o.lostAfterMs + 500, o.lostAfterMs + 1500);
        p = inject.kill(i, replaceAfter);
      } else if (kind === "restart") {
        p = inject.restart(rnd.int(0, 1000));
      } else if (kind === "partition") {
        // Longer than the lease: the server requeues the worker's runs, which the worker must have stopped
        // first. Half the time half-open: what the lost session sends after the thaw must be ignored.
        p = inject.partition(rnd.int(0, slots.length - 1), rnd.int(o.lostAfterMs + 500, o.lostAfterMs + 1500), rnd.chance(0.5));
      } else {
        const targets = rnd.chance(0.5) ? slots.map((_, i) => i) : [rnd.int(0, slots.length - 1)];
        // Refusals stay well inside the lease: a worker that reconnects in time keeps its runs.
        p = inject.cut(targets, rnd.chance(0.5) ? 0 : rnd.int(100, 400));
      }
      if (overlap) {
        // Awaited after the loop; the no-op handler keeps a failure meanwhile from counting as unhandled.
        p.catch(() => {});
        pending.push(p);
      } else await p;
    }
    await Promise.all(pending);
    await waitFor(() => slots.every((s) => s.current), { timeoutMs: 30_000, what: "every slot to have a worker" });

    // ---- invariants -----------------------------------------------------------------------------
    const runs: Run[] = [];
    for (let token = ""; ; ) {
      // The full view: the checks find each run's mark in its prompt.
      const page = await retry(
        () => runsApi.listRuns({ labels: { seed: String(o.seed) }, pageSize: 500, pageToken: token, view: RunView.FULL }),
        "list runs",
      );
      runs.push(...page.runs);
      if (!page.nextPageToken) break;
      token = page.nextPageToken;
    }
    if (runs.length !== o.runs) violations.push(`expected ${o.runs} runs, found ${runs.length}`);
    const checked: RunCheck = await checkRuns(runsApi, runs, marks);
    violations.push(...checked.violations);
    Object.assign(counts, checked.counts);

    const execs = monitor.executions();
    const execCheck = checkExecutions(
      execs,
      slots.flatMap((s) => s.incarnations),
      runs,
    );
    violations.push(...execCheck.violations);
    leaseWindow.push(...execCheck.leaseWindow);
    counts.orphansOutlivedWorker = execCheck.orphansOutlivedWorker;
    // Each is a run whose agent its worker stopped, cut off for longer than the fence allows.
    counts.fenced = slots.flatMap((s) => s.incarnations).reduce((n, inc) => n + inc.fenced.size, 0);

    // Orphans: with every run ended, nothing of this scenario but its workers may still be alive.
    const workerPids = new Set(slots.map((s) => s.current?.child.pid));
    const leftovers = () => processesWithEnv(scenarioEnv).filter((p) => !workerPids.has(p.pid));
    await waitFor(() => leftovers().length === 0, { timeoutMs: 10_000, what: "agent processes to be gone" }).catch(() => {
      const incs = slots.flatMap((s) => s.incarnations);
      for (const { pid, pgid } of leftovers()) {
        const e = execs.find((x) => x.pid === pgid);
        const inc = e && incs.find((i) => i.tag === e.tag);
        const slot = e
          ? incs
              .filter((i) => i.tag.split("#")[0] === e.tag.split("#")[0])
              .map((i) => `${i.tag} reap ${i.reapAt ? iso(i.reapAt) : "-"} [${i.reapedGroups.join(" ")}]`)
          : [];
        violations.push(
          `orphaned agent process ${describeProcess(pid)} in group ${pgid}${e ? ` (run ${e.mark}, ${e.tag} killed ${inc?.killedAt ? iso(inc.killedAt) : "never"}, agent started ${iso(e.start)}); slot: ${slot.join("; ")}` : ""}`,
        );
      }
    });
    reaped = slots.flatMap((s) => s.incarnations).reduce((n, inc) => n + inc.reaped, 0);
    counts.executions = execs.length;
  } catch (err) {
    violations.push(`scenario aborted: ${(err as Error).stack ?? err}`);
  } finally {
    monitor.stop();
    await Promise.all(slots.map((s) => s.dispose()));
    // Whatever a failed scenario left behind goes too, found by its environment, not by pids.
    for (const { pid } of processesWithEnv(scenarioEnv)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone.
      }
    }
    if (violations.length) {
      o.print(`seed ${o.seed}: fault log\n${faultLog.join("\n")}`);
      for (const s of slots) for (const inc of s.incarnations) o.print(inc.tail());
      if (server) o.print(`--- server ---\n${server.output().slice(-20_000)}`);
    }
    await server?.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  }
  return {
    seed: o.seed,
    violations,
    counts,
    faults: faultLog,
    leaseWindow,
    samples,
    executions: counts.executions ?? 0,
    reaped,
    ms: Date.now() - started,
  };
}

const iso = (ms: number) => new Date(ms).toISOString().slice(11, 23);
