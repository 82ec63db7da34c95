import { DEFAULT_WORKSPACE_ID } from "../../src/storage/entities";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { upcoming } from "../../src/domain/schedules/cron";
import { at, fakeClock, iso, openEnv, type Env } from "./harness";

let env: Env;
beforeEach(async () => {
  env = await openEnv();
});
afterEach(async () => {
  await env.close();
});

/** Runs a scheduler on a fake clock from `from` to `to` and returns the due times of the runs it created. */
async function fireBetween(cron: string, timeZone: string, from: string, to: string) {
  const clock = fakeClock(at(from));
  const id = await env.schedule(await env.job(), clock.now(), { cron, timeZone });
  // An hour's cap on sleeps keeps days of fake time quick; the default cap is covered in timing.test.ts.
  const scheduler = env.scheduler(clock, { maxSleepMs: 3_600_000 });
  scheduler.start();
  await clock.advanceTo(at(to));
  const runs = await env.runsOf(id);
  // Every run was created at the instant it was due: the fake timer fired exactly then.
  expect((await env.store.get(DEFAULT_WORKSPACE_ID, id))!.lastRunAt).toBe(at(JSON.parse(runs[runs.length - 1].labels).scheduled_time));
  return env.fired(id);
}

describe("daylight saving time", () => {
  it("Europe/Berlin spring forward: 02:30 does not exist on 2025-03-30 and fires once, right after the jump (03:00 CEST)", async () => {
    const fired = await fireBetween("0 30 2 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", "2025-04-01T00:00:00Z");
    expect(fired).toEqual([
      "2025-03-30T01:00:00.000Z", // 03:00 CEST, the first valid local time after 02:00 → 03:00
      "2025-03-31T00:30:00.000Z", // 02:30 CEST
    ]);
  });

  it("Europe/Berlin fall back: 02:30 happens twice on 2025-10-26 and fires once, at the first occurrence", async () => {
    const fired = await fireBetween("0 30 2 * * *", "Europe/Berlin", "2025-10-25T12:00:00Z", "2025-10-28T00:00:00Z");
    expect(fired).toEqual([
      "2025-10-26T00:30:00.000Z", // 02:30 CEST (UTC+2); 02:30 CET (01:30Z) does not fire again
      "2025-10-27T01:30:00.000Z", // 02:30 CET (UTC+1)
    ]);
  });

  it("America/New_York spring forward: 02:30 on 2025-03-09 fires once at 03:00 EDT", async () => {
    const fired = await fireBetween("30 2 * * *", "America/New_York", "2025-03-08T12:00:00Z", "2025-03-11T00:00:00Z");
    expect(fired).toEqual(["2025-03-09T07:00:00.000Z", "2025-03-10T06:30:00.000Z"]);
  });

  it("America/New_York fall back: 01:30 on 2025-11-02 happens twice and fires once (EDT)", async () => {
    const fired = await fireBetween("30 1 * * *", "America/New_York", "2025-11-01T12:00:00Z", "2025-11-04T00:00:00Z");
    expect(fired).toEqual(["2025-11-02T05:30:00.000Z", "2025-11-03T06:30:00.000Z"]);
  });

  it("a list of fixed times is fixed-time too (as in Vixie cron): 30 2,14 fires once on both transition days", async () => {
    const spring = await fireBetween("30 2,14 * * *", "Europe/Berlin", "2025-03-30T00:00:00Z", "2025-03-30T23:00:00Z");
    expect(spring).toEqual(["2025-03-30T01:00:00.000Z", "2025-03-30T12:30:00.000Z"]);
    const fall = await fireBetween("30 2,14 * * *", "Europe/Berlin", "2025-10-25T23:00:00Z", "2025-10-26T23:00:00Z");
    expect(fall).toEqual(["2025-10-26T00:30:00.000Z", "2025-10-26T13:30:00.000Z"]);
  });

  it("interval jobs keep their interval in real time: */30 fires through both passes of the repeated hour", async () => {
    const fired = await fireBetween("*/30 * * * *", "Europe/Berlin", "2025-10-26T00:10:00Z", "2025-10-26T02:10:00Z");
    // 02:30 CEST, 02:00 CET, 02:30 CET, 03:00 CET: every 30 minutes of elapsed time.
    expect(fired).toEqual(["2025-10-26T00:30:00.000Z", "2025-10-26T01:00:00.000Z", "2025-10-26T01:30:00.000Z", "2025-10-26T02:00:00.000Z"]);
  });

  it("the preview (upcoming_times) follows the same rules", () => {
    const first = at("2025-03-30T01:00:00Z");
    expect(upcoming("0 30 2 * * *", "Europe/Berlin", first, 3).map(iso)).toEqual([
      "2025-03-30T01:00:00.000Z",
      "2025-03-31T00:30:00.000Z",
      "2025-04-01T00:30:00.000Z",
    ]);
    expect(upcoming("0 30 2 * * *", "Europe/Berlin", at("2025-10-26T00:30:00Z"), 2).map(iso)).toEqual([
      "2025-10-26T00:30:00.000Z",
      "2025-10-27T01:30:00.000Z",
    ]);
  });
});
