import { DEFAULT_WORKSPACE_ID } from "../../src/storage/entities";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkTiming, nextAfter } from "../../src/domain/schedules/cron";
import { MAX_SLEEP_MS } from "../../src/domain/schedules/scheduler";
import { at, fakeClock, iso, openEnv, type Env } from "./harness";

let env: Env;
beforeEach(async () => {
  env = await openEnv();
});
afterEach(async () => {
  await env.close();
});

describe("cron expressions", () => {
  it("accepts five fields, or six with seconds first, and refuses the rest naming the field", () => {
    expect(checkTiming("*/5 * * * *", "UTC")).toEqual([]);
    expect(checkTiming("15 */5 * * * *", "Europe/Berlin")).toEqual([]);
    expect(checkTiming("0 0 * * * * 2030", "UTC").map((p) => p.field)).toEqual(["cron"]);
    expect(checkTiming("every day", "UTC").map((p) => p.field)).toEqual(["cron"]);
    expect(checkTiming("61 * * * *", "UTC").map((p) => p.field)).toEqual(["cron"]);
    expect(checkTiming("0 0 30 2 *", "UTC")).toEqual([{ field: "cron", message: "the expression never matches a future date" }]);
    expect(checkTiming("* * * * *", "Mars/Olympus_Mons").map((p) => p.field)).toEqual(["time_zone"]);
    expect(
      checkTiming("nope", "Nowhere/City")
        .map((p) => p.field)
        .sort(),
    ).toEqual(["cron", "time_zone"]);
  });

  it("five fields fire on the minute, six fields to the second", () => {
    const from = at("2025-06-01T10:00:07.250Z");
    expect(iso(nextAfter("* * * * *", "UTC", from))).toBe("2025-06-01T10:01:00.000Z");
    expect(iso(nextAfter("*/10 * * * * *", "UTC", from))).toBe("2025-06-01T10:00:10.000Z");
    expect(iso(nextAfter("45 30 * * * *", "UTC", from))).toBe("2025-06-01T10:30:45.000Z");
    // Strictly after: a fire time itself is not its own next.
    expect(iso(nextAfter("*/10 * * * * *", "UTC", at("2025-06-01T10:00:10Z")))).toBe("2025-06-01T10:00:20.000Z");
  });
});

describe("the scheduler's timer", () => {
  it("sleeps until the earliest due time (no fixed tick) and fires seconds-precise schedules on the second", async () => {
    const clock = fakeClock(at("2025-06-01T10:00:00.400Z"));
    const job = await env.job();
    const every5s = await env.schedule(job, clock.now(), { cron: "*/5 * * * * *" });
    const hourly = await env.schedule(job, clock.now(), { cron: "0 0 * * * *" });
    const scheduler = env.scheduler(clock);
    scheduler.start();
    await clock.advance(0);
    // One timer, for the earliest next_run_at.
    expect(clock.timers.map((t) => iso(t.at))).toEqual(["2025-06-01T10:00:05.000Z"]);

    await clock.advanceTo(at("2025-06-01T10:00:21Z"));
    expect(await env.fired(every5s)).toEqual([
      "2025-06-01T10:00:05.000Z",
      "2025-06-01T10:00:10.000Z",
      "2025-06-01T10:00:15.000Z",
      "2025-06-01T10:00:20.000Z",
    ]);
    expect(await env.fired(hourly)).toEqual([]);
    expect(clock.timers.map((t) => iso(t.at))).toEqual(["2025-06-01T10:00:25.000Z"]);
    // Runs carry the schedule and the trigger.
    const [run] = await env.runsOf(every5s);
    expect(run).toMatchObject({ scheduleId: every5s, trigger: "schedule", status: "queued", jobId: job });
    expect(env.kicks).toBeGreaterThanOrEqual(4);
  });

  it("re-arms when schedules change: a new earlier schedule, a pause", async () => {
    const clock = fakeClock(at("2025-06-01T10:00:00Z"));
    const job = await env.job();
    await env.schedule(job, clock.now(), { cron: "0 0 12 * * *" });
    const scheduler = env.scheduler(clock);
    scheduler.start();
    await clock.advance(0);
    // Nothing due within the cap: it sleeps the cap, a bound on how late another replica's new schedule is noticed.
    expect(clock.timers.map((t) => t.at - clock.now())).toEqual([MAX_SLEEP_MS]);

    const soon = await env.schedule(job, clock.now(), { cron: "30 0 10 * * *" });
    scheduler.changed();
    await clock.advance(0);
    expect(clock.timers.map((t) => iso(t.at))).toEqual(["2025-06-01T10:00:30.000Z"]);

    await env.store.pause(DEFAULT_WORKSPACE_ID, soon, clock.now());
    scheduler.changed();
    await clock.advance(0);
    expect(clock.timers.map((t) => t.at - clock.now())).toEqual([MAX_SLEEP_MS]);
    await clock.advanceTo(at("2025-06-01T10:01:00Z"));
    expect(await env.fired(soon)).toEqual([]);
  });

  it("stops: no timer left and nothing fires after stop()", async () => {
    const clock = fakeClock(at("2025-06-01T10:00:00Z"));
    const id = await env.schedule(await env.job(), clock.now(), { cron: "* * * * * *" });
    const scheduler = env.scheduler(clock);
    scheduler.start();
    await clock.advance(2000);
    await scheduler.stop();
    expect(clock.timers).toEqual([]);
    await clock.advance(5000);
    expect(await env.fired(id)).toEqual(["2025-06-01T10:00:01.000Z", "2025-06-01T10:00:02.000Z"]);
  });
});
