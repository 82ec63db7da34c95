import { timestampMs } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, it } from "vitest";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, TriggerKind, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { ScheduleService } from "../../src/gen/flightcontrol/v1/schedule_pb";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { spec } from "../foundation/helpers";

const servers: TestServer[] = [];
async function start(dataDir?: string) {
  const s = await startTestServer({}, dataDir);
  servers.push(s);
  return s;
}
afterEach(async () => {
  // The first server owns the temp directory; stop the others before it removes the file.
  for (const s of servers.splice(0).reverse()) await s.cleanup();
});

const due = (r: Run) => Date.parse(r.labels.scheduled_time);

/** A per-second schedule on a new job; returns a reader of its runs, oldest first. */
async function everySecond(url: string, name: string) {
  const { job } = await client(JobService, url, ADMIN_KEY).createJob({ name, spec: spec() });
  const { schedule } = await client(ScheduleService, url, ADMIN_KEY).createSchedule({ jobId: job!.id, name, cron: "*/1 * * * * *" });
  const runs = async (baseUrl = url) =>
    (await client(RunService, baseUrl, ADMIN_KEY).listRuns({ scheduleId: schedule!.id, pageSize: 500 })).runs.reverse();
  return { scheduleId: schedule!.id, runs };
}

describe("on the real clock", () => {
  it("*/1 * * * * * creates a run every second, each within 1 s of its due time", async () => {
    const server = await start();
    const { scheduleId, runs } = await everySecond(server.url, "every second");
    const got = await waitFor(
      async () => {
        const r = await runs();
        return r.length >= 3 ? r : undefined;
      },
      { what: "three scheduled runs" },
    );

    const first = got.slice(0, 3);
    for (const r of first) {
      expect(r.trigger).toBe(TriggerKind.SCHEDULE);
      expect(r.scheduleId).toBe(scheduleId);
      const late = timestampMs(r.createTime!) - due(r);
      expect(late, `run ${r.id} created ${late} ms after ${r.labels.scheduled_time}`).toBeGreaterThanOrEqual(0);
      expect(late, `run ${r.id} created ${late} ms after ${r.labels.scheduled_time}`).toBeLessThan(1000);
      expect(due(r) % 1000).toBe(0);
    }
    expect(due(first[1]) - due(first[0])).toBe(1000);
    expect(due(first[2]) - due(first[1])).toBe(1000);

    const s = (await client(ScheduleService, server.url, ADMIN_KEY).getSchedule({ id: scheduleId })).schedule!;
    expect(s.lastRunId).not.toBe("");
    expect(timestampMs(s.nextRunTime!)).toBeGreaterThan(timestampMs(s.lastRunTime!));
  });

  it("a restart on the same database and a second replica sharing it never fire a second twice", async () => {
    const a = await start();
    const { runs } = await everySecond(a.url, "replicated");
    await waitFor(async () => (await runs()).length >= 2, { what: "two runs from the first server" });

    // Restart: stop it and start a new server on the same data directory.
    await a.stop();
    const b = await start(a.dataDir);
    const fromB = await waitFor(
      async () => {
        const r = await runs(b.url);
        return r.length >= 4 ? r : undefined;
      },
      { what: "runs after the restart" },
    );

    // A second replica on the same file: both arm a timer for the same firings and race for them.
    const c = await start(a.dataDir);
    const after = (await runs(c.url)).length;
    const all = await waitFor(
      async () => {
        const r = await runs(c.url);
        return r.length >= after + 4 ? r : undefined;
      },
      { what: "runs with two replicas" },
    );

    const dues = all.map(due);
    expect(new Set(dues).size, dues.map((d) => new Date(d).toISOString()).join("\n")).toBe(dues.length);
    // While both replicas ran, no second was skipped either.
    const shared = dues.slice(fromB.length);
    for (let i = 1; i < shared.length; i++) expect(shared[i] - shared[i - 1]).toBe(1000);
  });
});
