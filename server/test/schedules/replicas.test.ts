import { DEFAULT_WORKSPACE_ID } from "../../src/storage/entities";
import { afterEach, describe, expect, it } from "vitest";
import type { Lifecycle } from "../../src/domain/runs/lifecycle";
import type { ScheduleStore } from "../../src/storage/schedule-store";
import { at, fakeClock, iso, openEnv, type Env } from "./harness";

const envs: Env[] = [];
async function env(file?: string) {
  const e = await openEnv(file);
  envs.push(e);
  return e;
}
afterEach(async () => {
  // The env that created the temp directory closes last, so it can remove the file.
  for (const e of envs.splice(0).reverse()) await e.close();
});

const T0 = at("2025-06-01T10:00:00.300Z");
const seconds = (...s: number[]) => s.map((n) => iso(at("2025-06-01T10:00:00Z") + n * 1000));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("restart", () => {
  it("a scheduler stopped mid-firing and a new one on the same database fire every second exactly once", async () => {
    const a = await env();
    const clock = fakeClock(T0);
    const id = await a.schedule(await a.job(), clock.now(), { cron: "* * * * * *" });

    // The third firing stalls inside run creation until the test lets it go.
    const entered = deferred();
    const gate = deferred();
    let n = 0;
    const slow: Pick<Lifecycle, "createRun"> = {
      async createRun(input) {
        if (++n === 3) {
          entered.resolve();
          await gate.promise;
        }
        return a.lifecycle.createRun(input);
      },
    };
    const first = a.scheduler(clock, { lifecycle: slow });
    first.start();
    const advancing = clock.advanceTo(at("2025-06-01T10:00:03.500Z"));
    await entered.promise;
    const stopping = first.stop();
    gate.resolve();
    await stopping;
    await advancing;
    expect(await a.fired(id)).toEqual(seconds(1, 2, 3));

    // A new process on the same file picks up at the 4th second; nothing is repeated.
    const b = await env(a.path);
    b.scheduler(clock).start();
    await clock.advanceTo(at("2025-06-01T10:00:06.500Z"));
    expect(await a.fired(id)).toEqual(seconds(1, 2, 3, 4, 5, 6));
  });

  it("a crash between the claim and the run's insert loses that one firing and never runs it twice (at-most-once)", async () => {
    const a = await env();
    const clock = fakeClock(T0);
    const id = await a.schedule(await a.job(), clock.now(), { cron: "* * * * * *" });
    let n = 0;
    const crashing: Pick<Lifecycle, "createRun"> = {
      async createRun(input) {
        if (++n === 3) throw new Error("simulated crash after the claim");
        return a.lifecycle.createRun(input);
      },
    };
    const first = a.scheduler(clock, { lifecycle: crashing });
    first.start();
    await clock.advanceTo(at("2025-06-01T10:00:03.100Z"));
    await first.stop();

    const b = await env(a.path);
    b.scheduler(clock).start();
    await clock.advanceTo(at("2025-06-01T10:00:05.500Z"));
    expect(await a.fired(id)).toEqual(seconds(1, 2, 4, 5));
  });
});

describe("two scheduler instances on one SQLite file", () => {
  it("race for every firing; exactly one claim wins and exactly one run is created per firing", async () => {
    const a = await env();
    const b = await env(a.path);
    const clock = fakeClock(T0);
    const id = await a.schedule(await a.job(), clock.now(), { cron: "* * * * * *" });

    // Both instances must have read the due schedule before either claims it: a barrier in due().
    const claims: Array<{ who: string; due: number; won: boolean }> = [];
    let waiting: { due: number; release: () => void } | undefined;
    const racing = (who: string, store: ScheduleStore): ScheduleStore => ({
      ...store,
      async due(now, limit) {
        const rows = await store.due(now, limit);
        if (!rows.length) return rows;
        const due = rows[0].nextRunAt!;
        if (waiting?.due === due) {
          waiting.release();
          waiting = undefined;
        } else {
          await new Promise<void>((resolve, reject) => {
            waiting = { due, release: resolve };
            setTimeout(() => reject(new Error(`${who} read ${iso(due)} but the other instance never did`)), 5000).unref();
          });
        }
        return rows;
      },
      async claim(...args) {
        const won = await store.claim(...args);
        claims.push({ who, due: args[1], won });
        return won;
      },
    });
    a.scheduler(clock, { store: racing("a", a.store) }).start();
    b.scheduler(clock, { store: racing("b", b.store) }).start();
    await clock.advanceTo(at("2025-06-01T10:00:05.500Z"));

    expect(await a.fired(id)).toEqual(seconds(1, 2, 3, 4, 5));
    const byDue = new Map<number, typeof claims>();
    for (const c of claims) byDue.set(c.due, [...(byDue.get(c.due) ?? []), c]);
    expect(byDue.size).toBe(5);
    for (const [due, cs] of byDue) {
      expect(cs.map((c) => c.who).sort(), iso(due)!).toEqual(["a", "b"]);
      expect(
        cs.filter((c) => c.won),
        iso(due)!,
      ).toHaveLength(1);
    }
    // Each instance's last_run_id write is guarded by its own firing: the row names the last run.
    const runs = await a.runsOf(id);
    expect((await a.store.get(DEFAULT_WORKSPACE_ID, id))!.lastRunId).toBe(runs[runs.length - 1].id);
  });
});
