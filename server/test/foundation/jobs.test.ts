import { equals } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, RunStatus, TriggerKind } from "../../src/gen/flightcontrol/v1/run_pb";
import { JobSpecSchema } from "../../src/gen/flightcontrol/v1/spec_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { PROTOCOLS, refused, spec } from "./helpers";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

describe.each(PROTOCOLS)("jobs over connect-node (%s)", (protocol) => {
  const jobs = () => client(JobService, server.url, ADMIN_KEY, protocol);
  const runs = () => client(RunService, server.url, ADMIN_KEY, protocol);

  it("create, get, list, update and delete a job", async () => {
    const { job } = await jobs().createJob({
      name: `nightly report ${protocol}`,
      description: "summarise the day",
      spec: spec({ prompt: "write the report", agent: "goose", provider: "openai", model: "gpt-4o", maxAttempts: 3, priority: 5 }),
    });
    expect(job!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(job!.spec).toMatchObject({ prompt: "write the report", agent: "goose", provider: "openai", model: "gpt-4o", maxAttempts: 3, priority: 5 });
    expect(job!.createTime).toBeDefined();

    const got = (await jobs().getJob({ id: job!.id })).job!;
    expect(equals(JobSpecSchema, got.spec!, job!.spec!)).toBe(true);
    expect(got.name).toBe(`nightly report ${protocol}`);

    const listed = await jobs().listJobs({ query: `REPORT ${protocol}` });
    expect(listed.jobs.map((j) => j.id)).toEqual([job!.id]);

    const updated = (await jobs().updateJob({ id: job!.id, description: "summarise the week", spec: spec({ prompt: "weekly" }) })).job!;
    expect(updated.name).toBe(`nightly report ${protocol}`); // unset optional fields keep their value
    expect(updated.description).toBe("summarise the week");
    expect(updated.spec!.prompt).toBe("weekly");
    expect(updated.spec!.agent).toBe("shell");
    expect((await jobs().getJob({ id: job!.id })).job!.description).toBe("summarise the week");

    const renamed = (await jobs().updateJob({ id: job!.id, name: `weekly report ${protocol}` })).job!;
    expect(renamed.spec!.prompt).toBe("weekly"); // no spec in the request leaves it alone

    await jobs().deleteJob({ id: job!.id });
    await refused(jobs().getJob({ id: job!.id }), Code.NotFound);
    expect((await jobs().listJobs({ query: `report ${protocol}` })).jobs).toEqual([]);
  });

  it("TriggerJob returns a queued run whose spec is a snapshot the job's later edits do not touch", async () => {
    // The run fills in defaults (timeout, attempts, backoff); with all three set, the snapshot equals the job spec exactly.
    const original = spec({ prompt: "count to three", builtins: ["developer"], timeoutSeconds: 60, maxAttempts: 2, retryBackoffSeconds: 7 });
    const { job } = await jobs().createJob({ name: `snapshot ${protocol}`, spec: original });
    const { run } = await jobs().triggerJob({ id: job!.id, labels: { env: "test" } });
    expect(run!.status).toBe(RunStatus.QUEUED);
    expect(run!.trigger).toBe(TriggerKind.MANUAL);
    expect(run!.jobId).toBe(job!.id);
    expect(run!.jobName).toBe(`snapshot ${protocol}`);
    expect(run!.labels).toEqual({ env: "test" });
    expect(equals(JobSpecSchema, run!.spec!, job!.spec!)).toBe(true);

    await jobs().updateJob({ id: job!.id, name: `snapshot edited ${protocol}`, spec: spec({ prompt: "count to ten", agent: "codex" }) });
    const after = (await runs().getRun({ id: run!.id })).run!;
    expect(equals(JobSpecSchema, after.spec!, run!.spec!)).toBe(true);
    expect(after.spec!.prompt).toBe("count to three");
    expect(after.jobName).toBe(`snapshot ${protocol}`);

    // Deleting the job leaves its runs (and their snapshots) in place.
    await jobs().deleteJob({ id: job!.id });
    expect((await runs().getRun({ id: run!.id })).run!.spec!.prompt).toBe("count to three");
  });

  it("lists jobs by name with cursor pagination", async () => {
    const names = Array.from({ length: 7 }, (_, i) => `page ${protocol} ${String(i).padStart(2, "0")}`);
    for (const name of names) await jobs().createJob({ name, spec: spec() });
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await jobs().listJobs({ query: `page ${protocol}`, pageSize: 3, pageToken });
      expect(page.jobs.length).toBeLessThanOrEqual(3);
      seen.push(...page.jobs.map((j) => j.name));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual(names);
  });

  it("ListJobs query matches % and _ literally, ignoring case", async () => {
    const names = [`nightly_report ${protocol}`, `nightlyXreport ${protocol}`, `100% DONE ${protocol}`, `1000 done ${protocol}`];
    const ids = new Map<string, string>();
    for (const name of names) ids.set(name, (await jobs().createJob({ name, spec: spec() })).job!.id);
    const found = async (query: string) => (await jobs().listJobs({ query })).jobs.map((j) => j.name);
    expect(await found(`nightly_report ${protocol}`)).toEqual([`nightly_report ${protocol}`]);
    expect(await found(`100% done ${protocol}`)).toEqual([`100% DONE ${protocol}`]);
    expect(await found(`xREPORT ${protocol}`)).toEqual([`nightlyXreport ${protocol}`]);
  });
});
