import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { MisfirePolicy, OverlapPolicy, ScheduleService } from "../../src/gen/flightcontrol/v1/schedule_pb";
import { nextAfter } from "../../src/domain/schedules/cron";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { newKey, PROTOCOLS, refused, spec, violationPaths } from "../foundation/helpers";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

const ms = timestampMs;

describe.each(PROTOCOLS)("ScheduleService over connect-node (%s)", (protocol) => {
  const schedules = () => client(ScheduleService, server.url, ADMIN_KEY, protocol);
  const jobs = () => client(JobService, server.url, ADMIN_KEY, protocol);
  let n = 0;
  const newJob = async () => (await jobs().createJob({ name: `scheduled ${protocol} ${++n}`, spec: spec() })).job!.id;

  it("create, get, list, update, pause, resume and delete", async () => {
    const jobId = await newJob();
    const before = Date.now();
    const { schedule } = await schedules().createSchedule({ jobId, name: "nightly", cron: "0 3 * * *" });
    const s = schedule!;
    expect(s).toMatchObject({ jobId, name: "nightly", cron: "0 3 * * *", timeZone: "UTC", paused: false, lastRunId: "" });
    // UNSPECIFIED policies are stored as the defaults.
    expect(s.misfirePolicy).toBe(MisfirePolicy.SKIP);
    expect(s.overlapPolicy).toBe(OverlapPolicy.ALLOW);
    expect(s.createTime).toBeDefined();
    expect(s.lastRunTime).toBeUndefined();

    // The next five fire times, the first of which is next_run_time.
    const times = s.upcomingTimes.map(ms);
    expect(times).toHaveLength(5);
    expect(ms(s.nextRunTime!)).toBe(times[0]);
    expect(times[0]).toBeGreaterThan(before);
    for (let i = 1; i < 5; i++) expect(times[i] - times[i - 1]).toBe(86_400_000);
    for (const t of times) expect(new Date(t).toISOString()).toMatch(/T03:00:00\.000Z$/);

    expect((await schedules().getSchedule({ id: s.id })).schedule).toEqual(s);
    expect((await schedules().listSchedules({ jobId })).schedules.map((x) => x.id)).toEqual([s.id]);
    expect((await schedules().listSchedules({})).schedules.map((x) => x.id)).toContain(s.id);

    // Renaming keeps the pending firing; new timing starts from now, in the new zone.
    const renamed = (await schedules().updateSchedule({ id: s.id, name: "nightly report", overlapPolicy: OverlapPolicy.SKIP })).schedule!;
    expect(renamed).toMatchObject({
      name: "nightly report",
      cron: "0 3 * * *",
      overlapPolicy: OverlapPolicy.SKIP,
      misfirePolicy: MisfirePolicy.SKIP,
    });
    expect(renamed.nextRunTime).toEqual(s.nextRunTime);
    const moved = (
      await schedules().updateSchedule({ id: s.id, cron: "0 30 9 * * 1-5", timeZone: "europe/berlin", misfirePolicy: MisfirePolicy.RUN_ONCE })
    ).schedule!;
    expect(moved).toMatchObject({ cron: "0 30 9 * * 1-5", timeZone: "Europe/Berlin", misfirePolicy: MisfirePolicy.RUN_ONCE, name: "nightly report" });
    const next = ms(moved.nextRunTime!);
    expect(next).toBe(nextAfter("0 30 9 * * 1-5", "Europe/Berlin", ms(moved.updateTime!)));
    expect(
      new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit", weekday: "short" }).format(next),
    ).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 09:30$/);
    expect(moved.upcomingTimes.map(ms)[0]).toBe(next);

    const paused = (await schedules().pauseSchedule({ id: s.id })).schedule!;
    expect(paused.paused).toBe(true);
    expect(paused.nextRunTime).toBeUndefined();
    expect(paused.upcomingTimes).toEqual([]);
    const resumed = (await schedules().resumeSchedule({ id: s.id })).schedule!;
    expect(resumed.paused).toBe(false);
    expect(ms(resumed.nextRunTime!)).toBeGreaterThan(Date.now());
    expect(resumed.upcomingTimes).toHaveLength(5);
    // Resuming a running schedule changes nothing.
    expect((await schedules().resumeSchedule({ id: s.id })).schedule!.nextRunTime).toEqual(resumed.nextRunTime);

    await schedules().deleteSchedule({ id: s.id });
    await refused(schedules().getSchedule({ id: s.id }), Code.NotFound);
    await refused(schedules().deleteSchedule({ id: s.id }), Code.NotFound);
    await refused(schedules().pauseSchedule({ id: s.id }), Code.NotFound);
    await refused(schedules().resumeSchedule({ id: s.id }), Code.NotFound);
    await refused(schedules().updateSchedule({ id: s.id, name: "x" }), Code.NotFound);
  });

  it("six fields with seconds; created paused; time zone validation is by IANA name", async () => {
    const jobId = await newJob();
    const s = (await schedules().createSchedule({ jobId, name: "every 15s", cron: "*/15 * * * * *", timeZone: "America/New_York" })).schedule!;
    const times = s.upcomingTimes.map(ms);
    for (let i = 1; i < 5; i++) expect(times[i] - times[i - 1]).toBe(15_000);
    expect(times[0] % 15_000).toBe(0);

    const p = (await schedules().createSchedule({ jobId, name: "held", cron: "0 0 * * *", paused: true })).schedule!;
    expect(p).toMatchObject({ paused: true, upcomingTimes: [] });
    expect(p.nextRunTime).toBeUndefined();
    await schedules().deleteSchedule({ id: s.id });
  });

  it("a bad cron or time zone is InvalidArgument naming the field, and nothing is stored", async () => {
    const jobId = await newJob();
    const bad = async (req: { cron: string; timeZone?: string }, fields: string[]) => {
      const err = await refused(schedules().createSchedule({ jobId, name: "bad", ...req }), Code.InvalidArgument);
      expect(violationPaths(err).sort()).toEqual(fields);
      for (const f of fields) expect(err.rawMessage).toContain(`${f}: `);
    };
    await bad({ cron: "every day" }, ["cron"]);
    await bad({ cron: "0 0 * * * * 2030" }, ["cron"]); // seven fields (years) are not part of the contract
    await bad({ cron: "99 * * * *" }, ["cron"]);
    await bad({ cron: "0 0 30 2 *" }, ["cron"]); // never fires
    await bad({ cron: "0 * * * *", timeZone: "Europe/Atlantis" }, ["time_zone"]);
    await bad({ cron: "whenever!", timeZone: "Mars/Base" }, ["cron", "time_zone"]);
    await bad({ cron: "0 *" }, ["cron"]); // protovalidate's min_len, before the handler
    const err = await refused(
      schedules().updateSchedule({
        id: (await schedules().createSchedule({ jobId, name: "ok", cron: "0 * * * *" })).schedule!.id,
        timeZone: "Not/AZone",
      }),
      Code.InvalidArgument,
    );
    expect(violationPaths(err)).toEqual(["time_zone"]);
    expect((await schedules().listSchedules({ jobId })).schedules.map((s) => [s.name, s.timeZone])).toEqual([["ok", "UTC"]]);
  });

  it("unknown job: NotFound; a job id that is not a UUID: InvalidArgument", async () => {
    await refused(schedules().createSchedule({ jobId: "0190d3a0-0000-7000-8000-000000000000", name: "orphan", cron: "0 * * * *" }), Code.NotFound);
    const err = await refused(schedules().createSchedule({ jobId: "nope", name: "orphan", cron: "0 * * * *" }), Code.InvalidArgument);
    expect(violationPaths(err)).toEqual(["job_id"]);
    await refused(schedules().getSchedule({ id: "0190d3a0-0000-7000-8000-000000000000" }), Code.NotFound);
  });

  it("deleting a job deletes its schedules (foreign key cascade, enforced on SQLite)", async () => {
    const [rows] = await server.app.db.dataSource.query("PRAGMA foreign_keys");
    expect(rows.foreign_keys).toBe(1);
    const jobId = await newJob();
    const other = await newJob();
    const a = (await schedules().createSchedule({ jobId, name: "a", cron: "* * * * * *" })).schedule!;
    await schedules().createSchedule({ jobId, name: "b", cron: "0 * * * *" });
    const kept = (await schedules().createSchedule({ jobId: other, name: "kept", cron: "0 * * * *" })).schedule!;
    await jobs().deleteJob({ id: jobId });
    expect((await schedules().listSchedules({ jobId })).schedules).toEqual([]);
    await refused(schedules().getSchedule({ id: a.id }), Code.NotFound);
    expect((await schedules().getSchedule({ id: kept.id })).schedule!.name).toBe("kept");
    await schedules().deleteSchedule({ id: kept.id });
  });
});

describe("roles", () => {
  it("viewers may read schedules but not change them; operators may", async () => {
    const jobId = (await client(JobService, server.url, ADMIN_KEY).createJob({ name: "roles job", spec: spec() })).job!.id;
    const viewer = client(ScheduleService, server.url, (await newKey(server.url, Role.VIEWER)).key);
    const operator = client(ScheduleService, server.url, (await newKey(server.url, Role.OPERATOR)).key);
    const s = (await operator.createSchedule({ jobId, name: "ops", cron: "0 * * * *" })).schedule!;
    expect((await viewer.getSchedule({ id: s.id })).schedule!.id).toBe(s.id);
    expect((await viewer.listSchedules({ jobId })).schedules).toHaveLength(1);
    await refused(viewer.pauseSchedule({ id: s.id }), Code.PermissionDenied);
    await refused(viewer.createSchedule({ jobId, name: "nope", cron: "0 * * * *" }), Code.PermissionDenied);
    await operator.deleteSchedule({ id: s.id });
  });
});
