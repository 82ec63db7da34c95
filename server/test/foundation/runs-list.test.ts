import { Code } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, RunStatus, TriggerKind, type ListRunsRequestSchema, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { PROTOCOLS, refused, spec } from "./helpers";

let server: TestServer;
let jobA: string;
let jobB: string;
/** Every run created here, newest first (the order ListRuns promises). */
let all: Run[] = [];

beforeAll(async () => {
  server = await startTestServer();
  const jobs = client(JobService, server.url, ADMIN_KEY);
  const runs = client(RunService, server.url, ADMIN_KEY);
  jobA = (await jobs.createJob({ name: "job a", spec: spec({ prompt: "a" }) })).job!.id;
  jobB = (await jobs.createJob({ name: "job b", spec: spec({ prompt: "b" }) })).job!.id;
  const created: Run[] = [];
  for (let i = 0; i < 12; i++) {
    created.push((await jobs.triggerJob({ id: jobA, labels: { team: i % 2 ? "odd" : "even", n: String(i) } })).run!);
  }
  for (let i = 0; i < 5; i++) created.push((await jobs.triggerJob({ id: jobB, labels: { team: "even" } })).run!);
  for (let i = 0; i < 6; i++) {
    const labels = { pct: i === 0 ? "50%" : "50x", env: i % 2 ? "prod" : "Prod" };
    created.push((await runs.createRun({ spec: spec({ prompt: `ad hoc ${i}` }), labels })).run!);
  }
  // Cancel job A's runs 0, 3, 6, 9: queued runs cancel at once.
  for (const i of [0, 3, 6, 9]) await runs.cancelRun({ id: created[i].id, reason: "test" });
  all = [];
  for (const r of created.reverse()) all.push((await runs.getRun({ id: r.id })).run!);
});
afterAll(async () => {
  await server?.cleanup();
});

describe.each(PROTOCOLS)("ListRuns and GetRun over connect-node (%s)", (protocol) => {
  const runs = () => client(RunService, server.url, ADMIN_KEY, protocol);

  /** Walks every page of a query and returns the ids in order, failing on an oversized page. */
  async function walk(req: MessageInitShape<typeof ListRunsRequestSchema>, pageSize: number): Promise<string[]> {
    const ids: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await runs().listRuns({ ...req, pageSize, pageToken });
      expect(page.runs.length).toBeLessThanOrEqual(pageSize);
      ids.push(...page.runs.map((r) => r.id));
      pageToken = page.nextPageToken;
      expect(++pages, "pagination does not end").toBeLessThan(100);
    } while (pageToken);
    return ids;
  }

  const ids = (pred: (r: Run) => boolean) => all.filter(pred).map((r) => r.id);

  it("GetRun returns the run and NotFound for an unknown id", async () => {
    const run = (await runs().getRun({ id: all[0].id })).run!;
    expect(run.id).toBe(all[0].id);
    expect(run.trigger).toBe(TriggerKind.AD_HOC);
    expect(run.status).toBe(RunStatus.QUEUED);
    await refused(runs().getRun({ id: "01890000-0000-7000-8000-000000000000" }), Code.NotFound);
  });

  it("walks every page newest first, with no duplicate and none missing", async () => {
    const walked = await walk({}, 5);
    expect(all.length).toBeGreaterThan(5);
    expect(new Set(walked).size).toBe(walked.length);
    expect(walked).toEqual(all.map((r) => r.id));
    // An exact multiple of the page size must not end with an empty page or lose the last run.
    expect(await walk({}, all.length)).toEqual(all.map((r) => r.id));
    expect(await walk({}, 1)).toEqual(all.map((r) => r.id));
  });

  it("filters by job", async () => {
    expect(await walk({ jobId: jobA }, 5)).toEqual(ids((r) => r.jobId === jobA));
    expect(await walk({ jobId: jobB }, 2)).toEqual(ids((r) => r.jobId === jobB));
    expect(await walk({ jobId: "01890000-0000-7000-8000-000000000000" }, 5)).toEqual([]);
  });

  it("filters by status", async () => {
    const cancelled = await walk({ statuses: [RunStatus.CANCELLED] }, 3);
    expect(cancelled).toHaveLength(4);
    expect(cancelled).toEqual(ids((r) => r.status === RunStatus.CANCELLED));
    expect(await walk({ statuses: [RunStatus.QUEUED] }, 4)).toEqual(ids((r) => r.status === RunStatus.QUEUED));
    expect(await walk({ statuses: [RunStatus.QUEUED, RunStatus.CANCELLED] }, 7)).toEqual(all.map((r) => r.id));
    expect(await walk({ statuses: [RunStatus.SUCCEEDED] }, 5)).toEqual([]);
  });

  it("filters by labels (every given pair must match; values are literal)", async () => {
    expect(await walk({ labels: { team: "odd" } }, 2)).toEqual(ids((r) => r.labels.team === "odd"));
    expect(await walk({ labels: { team: "even" } }, 4)).toEqual(ids((r) => r.labels.team === "even"));
    expect(await walk({ labels: { team: "even", n: "4" } }, 4)).toEqual(ids((r) => r.labels.team === "even" && r.labels.n === "4"));
    expect(await walk({ labels: { pct: "50%" } }, 4)).toEqual(ids((r) => r.labels.pct === "50%"));
    expect(await walk({ labels: { team: "nobody" } }, 4)).toEqual([]);
    // Label values are compared exactly, on SQLite as on Postgres.
    expect(await walk({ labels: { env: "prod" } }, 4)).toEqual(ids((r) => r.labels.env === "prod"));
    expect(await walk({ labels: { env: "Prod" } }, 4)).toEqual(ids((r) => r.labels.env === "Prod"));
    expect(await walk({ labels: { ENV: "prod" } }, 4)).toEqual([]);
  });

  it("combines filters", async () => {
    const got = await walk({ jobId: jobA, statuses: [RunStatus.QUEUED], labels: { team: "odd" } }, 2);
    expect(got).toEqual(ids((r) => r.jobId === jobA && r.status === RunStatus.QUEUED && r.labels.team === "odd"));
    expect(got).toHaveLength(4);
  });
});
