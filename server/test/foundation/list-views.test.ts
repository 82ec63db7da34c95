import { equals } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService, JobView } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, RunView, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { JobSpecSchema } from "../../src/gen/flightcontrol/v1/spec_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { PROTOCOLS, spec } from "./helpers";

let server: TestServer;
/** Runs with 128 KiB prompts, newest first: seven fill a 1 MiB page. */
const big: Run[] = [];
let small: Run;
let jobId: string;
const LONG = `${"Summarise the incident report, ".repeat(10)}${"x".repeat(200 * 1024)}`;

beforeAll(async () => {
  server = await startTestServer();
  const runs = client(RunService, server.url, ADMIN_KEY);
  const jobs = client(JobService, server.url, ADMIN_KEY);
  jobId = (await jobs.createJob({ name: "views", spec: spec({ prompt: "échec 😀 report", provider: "openai", model: "gpt-4o", agent: "goose" }) }))
    .job!.id;
  small = (await jobs.triggerJob({ id: jobId, labels: { set: "views" } })).run!;
  for (let i = 0; i < 12; i++) {
    big.unshift((await runs.createRun({ spec: spec({ prompt: `${i} ${LONG}`.slice(0, 128 * 1024) }), labels: { set: "views" } })).run!);
  }
}, 60_000);
afterAll(async () => {
  await server?.cleanup();
});

describe.each(PROTOCOLS)("list views over %s", (protocol) => {
  const runs = () => client(RunService, server.url, ADMIN_KEY, protocol);
  const jobs = () => client(JobService, server.url, ADMIN_KEY, protocol);

  it("ListRuns leaves the spec out by default, with a summary of it; the full view and GetRun have it", async () => {
    const basic = await runs().listRuns({ labels: { set: "views" }, pageSize: 20 });
    expect(basic.runs.map((r) => r.id)).toEqual([...big, small].map((r) => r.id));
    expect(basic.runs.every((r) => r.spec === undefined)).toBe(true);
    const first = basic.runs[0];
    expect(first.specSummary).toMatchObject({ agent: "shell", prompt: big[0].spec!.prompt.slice(0, 200), promptTruncated: true });
    expect(basic.runs.at(-1)!.specSummary).toMatchObject({
      agent: "goose",
      provider: "openai",
      model: "gpt-4o",
      prompt: "échec 😀 report",
      promptTruncated: false,
    });

    const got = (await runs().getRun({ id: first.id })).run!;
    expect(equals(JobSpecSchema, got.spec!, big[0].spec!)).toBe(true);
    const full = await runs().listRuns({ labels: { set: "views" }, pageSize: 1, view: RunView.FULL });
    expect(equals(JobSpecSchema, full.runs[0].spec!, got.spec!)).toBe(true);
  });

  it("a page stops at about 1 MiB, and walking the pages still gives every run once, in order", async () => {
    const ids: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await runs().listRuns({ labels: { set: "views" }, pageSize: 500, pageToken, view: RunView.FULL });
      const bytes = page.runs.reduce((n, r) => n + r.spec!.prompt.length, 0);
      expect(bytes).toBeLessThanOrEqual(1024 * 1024);
      expect(page.runs.length).toBeGreaterThan(0);
      ids.push(...page.runs.map((r) => r.id));
      pageToken = page.nextPageToken;
      expect(++pages).toBeLessThan(20);
    } while (pageToken);
    expect(pages).toBeGreaterThan(1);
    expect(ids).toEqual([...big, small].map((r) => r.id));
  });

  it("WatchRun and WatchRuns send runs without the spec unless asked for the full view", async () => {
    const ac = new AbortController();
    try {
      for (const [view, hasSpec] of [
        [RunView.UNSPECIFIED, false],
        [RunView.FULL, true],
      ] as const) {
        const first = await runs().watchRun({ runId: big[0].id, view }, { signal: ac.signal })[Symbol.asyncIterator]().next();
        expect(first.value!.run!.spec !== undefined).toBe(hasSpec);
        expect(first.value!.run!.specSummary!.promptTruncated).toBe(true);
      }
      const all = runs().watchRuns({}, { signal: ac.signal })[Symbol.asyncIterator]();
      const full = runs().watchRuns({ view: RunView.FULL }, { signal: ac.signal })[Symbol.asyncIterator]();
      await all.next();
      await full.next();
      // A run of its own for each protocol: a cancelled run cannot be cancelled again.
      const changed = big[PROTOCOLS.indexOf(protocol) + 1];
      await runs().cancelRun({ id: changed.id });
      const seen = (await all.next()).value!.run!;
      expect(seen.id).toBe(changed.id);
      expect(seen.spec).toBeUndefined();
      expect(seen.specSummary!.prompt).toBe(changed.spec!.prompt.slice(0, 200));
      expect(equals(JobSpecSchema, (await full.next()).value!.run!.spec!, changed.spec!)).toBe(true);
    } finally {
      ac.abort();
    }
  });

  it("ListJobs leaves the spec out by default, with a summary of it; the full view and GetJob have it", async () => {
    const basic = (await jobs().listJobs({ query: "views" })).jobs;
    expect(basic.map((j) => j.id)).toEqual([jobId]);
    expect(basic[0].spec).toBeUndefined();
    expect(basic[0].specSummary).toMatchObject({ agent: "goose", provider: "openai", model: "gpt-4o", prompt: "échec 😀 report" });
    const full = (await jobs().listJobs({ query: "views", view: JobView.FULL })).jobs;
    expect(equals(JobSpecSchema, full[0].spec!, (await jobs().getJob({ id: jobId })).job!.spec!)).toBe(true);
  });
});
