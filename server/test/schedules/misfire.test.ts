import { DEFAULT_WORKSPACE_ID } from "../../src/storage/entities";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Lifecycle } from "../../src/domain/runs/lifecycle";
import { nextAfter } from "../../src/domain/schedules/cron";
import { MISFIRE_TOLERANCE_MS } from "../../src/domain/schedules/scheduler";
import { at, fakeClock, iso, openEnv, type Env } from "./harness";

let env: Env;
beforeEach(async () => {
  env = await openEnv();
});
afterEach(async () => {
  await env.close();
});

/**
 * An hourly schedule fires at 10:00, then the server is down until 13:20 (11:00, 12:00 and 13:00
 * missed) and a new scheduler starts on the same database.
 */
async function downFrom10To1320(misfire: "skip" | "run_once") {
  const clock = fakeClock(at("2025-06-01T09:30:00Z"));
  const id = await env.schedule(await env.job(), clock.now(), { cron: "0 * * * *", misfire });
  const before = env.scheduler(clock);
  before.start();
  await clock.advanceTo(at("2025-06-01T10:30:00Z"));
  await before.stop();
  expect(await env.fired(id)).toEqual(["2025-06-01T10:00:00.000Z"]);

  clock.set(at("2025-06-01T13:20:00Z"));
  const after = env.scheduler(clock);
  after.start();
  await clock.advance(0);
  return { clock, id, after };
}

describe("misfire policy", () => {
  it("skip: nothing runs for the missed firings; the schedule jumps to the next future time and carries on", async () => {
    const { clock, id } = await downFrom10To1320("skip");
    expect(await env.fired(id)).toEqual(["2025-06-01T10:00:00.000Z"]);
    const row = (await env.store.get(DEFAULT_WORKSPACE_ID, id))!;
    expect(iso(row.nextRunAt)).toBe("2025-06-01T14:00:00.000Z");
    expect(iso(row.lastRunAt)).toBe("2025-06-01T10:00:00.000Z");

    await clock.advanceTo(at("2025-06-01T14:00:00Z"));
    expect(await env.fired(id)).toEqual(["2025-06-01T10:00:00.000Z", "2025-06-01T14:00:00.000Z"]);
  });

  it("run_once: one catch-up run however many were missed, then the next future time", async () => {
    const { clock, id } = await downFrom10To1320("run_once");
    const runs = await env.runsOf(id);
    expect(runs).toHaveLength(2);
    // The catch-up names the first firing it stands for, and says it is a catch-up.
    expect(JSON.parse(runs[1].labels)).toMatchObject({ scheduled_time: "2025-06-01T11:00:00.000Z", catch_up: "true" });
    const row = (await env.store.get(DEFAULT_WORKSPACE_ID, id))!;
    expect(row.lastRunId).toBe(runs[1].id);
    expect(iso(row.lastRunAt)).toBe("2025-06-01T13:20:00.000Z"); // when the catch-up actually ran
    expect(iso(row.nextRunAt)).toBe("2025-06-01T14:00:00.000Z");

    await clock.advanceTo(at("2025-06-01T15:00:00Z"));
    expect((await env.fired(id)).slice(2)).toEqual(["2025-06-01T14:00:00.000Z", "2025-06-01T15:00:00.000Z"]);
    expect(JSON.parse((await env.runsOf(id))[2].labels).catch_up).toBeUndefined();
  });

  it("run_once on a per-second schedule after a minute down: still exactly one catch-up run", async () => {
    const clock = fakeClock(at("2025-06-01T10:00:00.500Z"));
    const id = await env.schedule(await env.job(), clock.now(), { cron: "* * * * * *", misfire: "run_once" });
    clock.set(at("2025-06-01T10:01:00.500Z"));
    env.scheduler(clock).start();
    await clock.advance(0);
    expect(await env.fired(id)).toEqual(["2025-06-01T10:00:01.000Z"]);
    expect(iso((await env.store.get(DEFAULT_WORKSPACE_ID, id))!.nextRunAt)).toBe("2025-06-01T10:01:01.000Z");
    await clock.advance(2000);
    expect(await env.fired(id)).toHaveLength(3);
  });

  it(`a firing up to ${MISFIRE_TOLERANCE_MS} ms late is not missed: a quick restart runs it as usual, even with skip`, async () => {
    const clock = fakeClock(at("2025-06-01T10:59:00Z"));
    const id = await env.schedule(await env.job(), clock.now(), { cron: "0 * * * *", misfire: "skip" });
    clock.set(at("2025-06-01T11:00:00Z") + MISFIRE_TOLERANCE_MS);
    env.scheduler(clock).start();
    await clock.advance(0);
    const runs = await env.runsOf(id);
    expect(runs.map((r) => JSON.parse(r.labels))).toEqual([{ schedule: "test schedule", scheduled_time: "2025-06-01T11:00:00.000Z" }]);
    expect(iso((await env.store.get(DEFAULT_WORKSPACE_ID, id))!.lastRunAt)).toBe("2025-06-01T11:00:00.000Z");
  });

  it(`one millisecond past the tolerance it is missed`, async () => {
    const clock = fakeClock(at("2025-06-01T10:59:00Z"));
    const id = await env.schedule(await env.job(), clock.now(), { cron: "0 * * * *", misfire: "skip" });
    clock.set(at("2025-06-01T11:00:00Z") + MISFIRE_TOLERANCE_MS + 1);
    env.scheduler(clock).start();
    await clock.advance(0);
    expect(await env.fired(id)).toEqual([]);
    expect(iso((await env.store.get(DEFAULT_WORKSPACE_ID, id))!.nextRunAt)).toBe("2025-06-01T12:00:00.000Z");
  });

  it("a backlog is not a misfire: 250 schedules due on the same second all run even if handling them takes longer than the tolerance", async () => {
    const clock = fakeClock(at("2025-06-01T23:59:30Z"));
    const job = await env.job();
    const ids: string[] = [];
    for (let i = 0; i < 250; i++) ids.push(await env.schedule(job, clock.now(), { cron: "0 0 * * *", misfire: "skip", name: `midnight ${i}` }));
    // Every run takes 100 ms of (fake) time to create: 25 s for all of them, over several passes.
    const slow: Pick<Lifecycle, "createRun"> = {
      async createRun(input) {
        clock.set(clock.now() + 100);
        return env.lifecycle.createRun(input);
      },
    };
    env.scheduler(clock, { lifecycle: slow }).start();
    await clock.advanceTo(at("2025-06-02T00:01:00Z"));
    const fired = await Promise.all(ids.map((id) => env.fired(id)));
    expect(fired.filter((f) => f.length === 1 && f[0] === "2025-06-02T00:00:00.000Z")).toHaveLength(250);
    expect(clock.now() - at("2025-06-02T00:00:00Z")).toBeGreaterThan(MISFIRE_TOLERANCE_MS);
  });

  it("firings that fell in a pause are not missed: resume carries on from now", async () => {
    const clock = fakeClock(at("2025-06-01T09:30:00Z"));
    const id = await env.schedule(await env.job(), clock.now(), { cron: "0 * * * *", misfire: "run_once" });
    const scheduler = env.scheduler(clock);
    scheduler.start();
    await env.store.pause(DEFAULT_WORKSPACE_ID, id, clock.now());
    scheduler.changed();
    await clock.advanceTo(at("2025-06-01T12:30:00Z"));
    expect(await env.fired(id)).toEqual([]);

    // As ResumeSchedule does: the next time after now, not the 10:00 the pause held back.
    await env.store.resume(DEFAULT_WORKSPACE_ID, id, nextAfter("0 * * * *", "UTC", clock.now()), clock.now());
    scheduler.changed();
    await clock.advanceTo(at("2025-06-01T13:30:00Z"));
    expect(await env.fired(id)).toEqual(["2025-06-01T13:00:00.000Z"]);
  });
});
