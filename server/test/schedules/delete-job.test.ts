import { DEFAULT_WORKSPACE_ID } from "../../src/storage/entities";
import { afterEach, beforeEach, expect, it } from "vitest";
import { JobDefinitionEntity } from "../../src/storage/entities";
import { at, fakeClock, iso, openEnv, type Env } from "./harness";

let env: Env;
beforeEach(async () => {
  env = await openEnv();
});
afterEach(async () => {
  await env.close();
});

it("deleting a job deletes its schedules in the database, and the scheduler forgets them without being told", async () => {
  expect(await env.sql.get("PRAGMA foreign_keys")).toEqual({ foreign_keys: 1 });
  const clock = fakeClock(at("2025-06-01T10:00:00.500Z"));
  const doomed = await env.job("doomed");
  const kept = await env.job("kept");
  const a = await env.schedule(doomed, clock.now(), { cron: "* * * * * *" });
  const b = await env.schedule(doomed, clock.now(), { cron: "*/2 * * * * *" });
  const c = await env.schedule(kept, clock.now(), { cron: "0 * * * * *" });
  const scheduler = env.scheduler(clock);
  scheduler.start();
  await clock.advanceTo(at("2025-06-01T10:00:02.500Z"));
  expect(await env.fired(a)).toHaveLength(2);

  // JobService.DeleteJob deletes the row; nothing tells the scheduler.
  await env.db.dataSource.getRepository(JobDefinitionEntity).delete({ id: doomed });
  expect((await env.store.list(DEFAULT_WORKSPACE_ID)).map((s) => s.id)).toEqual([c]);
  expect(clock.timers.map((t) => iso(t.at))).toEqual(["2025-06-01T10:00:03.000Z"]);

  // The armed timer finds nothing due and re-arms for what is left.
  await clock.advanceTo(at("2025-06-01T10:00:10Z"));
  expect(clock.timers.map((t) => iso(t.at))).toEqual(["2025-06-01T10:01:00.000Z"]);
  expect(await env.fired(a)).toHaveLength(2);
  expect(await env.fired(b)).toHaveLength(1);
  await clock.advanceTo(at("2025-06-01T10:01:00Z"));
  expect(await env.fired(c)).toEqual(["2025-06-01T10:01:00.000Z"]);

  // The runs it created survive the job, with their snapshot.
  const runs = await env.runsOf(a);
  expect(runs.map((r) => r.jobName)).toEqual(["doomed", "doomed"]);
});
