import { afterAll, describe, expect, it } from "vitest";
import { runScenario, type ScenarioResult } from "./scenario";
import { summarize } from "./stats";

/*
 * The fault suite. Each seed is one scenario (scenario.ts): a real server process and real worker
 * processes behind test-owned TCP proxies run ORCH_TEST_FAULT_RUNS runs while, in an order drawn from the
 * seed, workers are SIGKILLed and replaced, the server is SIGKILLed and restarted on the same port
 * and data dir, and worker connections are cut. Then every invariant is checked.
 *
 * Inside `npm test` it is bounded (one seed, few runs); `npm run test:faults` runs the full form
 * (ORCH_TEST_FAULT_SEEDS=20 ORCH_TEST_FAULT_RUNS=500). A failure prints its seed: ORCH_TEST_FAULT_SEED=<n> replays the
 * same fault schedule (the system under test still has its own timing).
 */

const envInt = (name: string, fallback: number) => {
  const raw = process.env[name];
  return raw ? Number(raw) : fallback;
};
const SEEDS = envInt("ORCH_TEST_FAULT_SEEDS", 1);
const RUNS = envInt("ORCH_TEST_FAULT_RUNS", 100);
const FIRST_SEED = process.env.ORCH_TEST_FAULT_SEED ? Number(process.env.ORCH_TEST_FAULT_SEED) : Math.floor(Math.random() * 2 ** 31);
const LOST_AFTER_MS = 2000;
const WORKERS = 4;
const CAPACITY = 4;
const MAX_ATTEMPTS = 5;

const print = (line: string) => process.stdout.write(`${line}\n`);
const results: ScenarioResult[] = [];

afterAll(() => {
  if (!results.length) return;
  const total = (k: string) => results.reduce((n, r) => n + (r.counts[k] ?? 0), 0);
  print(
    [
      `fault suite: ${results.length} seed(s) from ${FIRST_SEED}, ${RUNS} runs each, ${WORKERS} workers × ${CAPACITY} slots, lost-worker lease ${LOST_AFTER_MS} ms`,
      `  outcomes: succeeded ${total("succeeded")}, lost ${total("lost")}, failed ${total("failed")}, needed a retry ${total("retried")}; agent executions ${total("executions")}`,
      `  faults: ${results.reduce((n, r) => n + r.faults.length, 0)}; agents that outlived their SIGKILLed worker ${total("orphansOutlivedWorker")}, agent groups killed by replacement workers ${results.reduce((n, r) => n + r.reaped, 0)}; agents stopped by their worker's self-fence ${total("fenced")}; overlaps inside the lease window ${results.reduce((n, r) => n + r.leaseWindow.length, 0)}`,
      `  wall time: ${(results.reduce((n, r) => n + r.ms, 0) / 1000).toFixed(0)} s`,
      summarize(results.flatMap((r) => r.samples)),
    ].join("\n"),
  );
});

describe(`fault injection (seeds ${FIRST_SEED}..${FIRST_SEED + SEEDS - 1}, ${RUNS} runs each)`, () => {
  for (let k = 0; k < SEEDS; k++) {
    const seed = FIRST_SEED + k;
    it(
      `seed ${seed}: every run ends once, logs exactly once, never two executions at once, no orphans`,
      async () => {
        print(`fault suite: seed ${seed} (reproduce with ORCH_TEST_FAULT_SEED=${seed} ORCH_TEST_FAULT_SEEDS=1 ORCH_TEST_FAULT_RUNS=${RUNS})`);
        const r = await runScenario({
          seed,
          runs: RUNS,
          workers: WORKERS,
          capacity: CAPACITY,
          lostAfterMs: LOST_AFTER_MS,
          maxAttempts: MAX_ATTEMPTS,
          print,
        });
        results.push(r);
        print(`seed ${seed}: ${(r.ms / 1000).toFixed(1)} s, ${r.faults.length} faults, ${JSON.stringify(r.counts)}`);
        for (const w of r.leaseWindow) print(`  allowed (orphan before its replacement's reap): ${w}`);
        const max = 30;
        expect(
          r.violations,
          `seed ${seed} (ORCH_TEST_FAULT_SEED=${seed}): ${r.violations.length} violation(s):\n${r.violations.slice(0, max).join("\n")}${r.violations.length > max ? "\n…" : ""}\nfaults:\n${r.faults.join("\n")}`,
        ).toEqual([]);
      },
      120_000 + RUNS * 1000,
    );
  }
});
