import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, type Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { PROTOCOLS, refusedUnchanged, spec, violationPaths } from "./helpers";

const UNKNOWN = "01890000-0000-7000-8000-000000000000";
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

describe.each(PROTOCOLS)("bad input over connect-node (%s)", (protocol) => {
  const jobs = () => client(JobService, server.url, ADMIN_KEY, protocol);
  const runs = () => client(RunService, server.url, ADMIN_KEY, protocol);
  const credentials = () => client(CredentialService, server.url, ADMIN_KEY, protocol);
  const keys = () => client(ApiKeyService, server.url, ADMIN_KEY, protocol);
  const workers = () => client(WorkerService, server.url, ADMIN_KEY, protocol);

  it("InvalidArgument names the offending field, with no write and no stack trace", async () => {
    const cases: Array<[field: string, call: () => Promise<unknown>]> = [
      ["spec.prompt", () => jobs().createJob({ name: `j ${protocol}`, spec: spec({ prompt: "" }) })],
      ["spec.agent", () => jobs().createJob({ name: `j ${protocol}`, spec: spec({ agent: "gpt-5" }) })],
      ["spec", () => jobs().createJob({ name: `j ${protocol}` })],
      ["name", () => jobs().createJob({ name: "", spec: spec() })],
      ["name", () => jobs().createJob({ name: "tab\there", spec: spec() })],
      ["spec.credential_ids[0]", () => jobs().createJob({ name: `j ${protocol}`, spec: spec({ credentialIds: ["not-a-uuid"] }) })],
      ["spec.priority", () => jobs().createJob({ name: `j ${protocol}`, spec: spec({ priority: 5000 }) })],
      ["spec.extensions[0].transport", () => jobs().createJob({ name: `j ${protocol}`, spec: spec({ extensions: [{ name: "fs" }] }) })],
      ["id", () => jobs().getJob({ id: "42" })],
      ["id", () => jobs().deleteJob({ id: "../../etc/passwd" })],
      ["page_size", () => jobs().listJobs({ pageSize: 501 })],
      ['labels["bad key!"]', () => jobs().triggerJob({ id: UNKNOWN, labels: { "bad key!": "x" } })],
      ['spec.required_labels[""]', () => runs().createRun({ spec: spec({ requiredLabels: { "": "x" } }) })],
      ["job_id", () => runs().listRuns({ jobId: "nope" })],
      ["statuses[0]", () => runs().listRuns({ statuses: [0] })],
      ["id", () => runs().getRun({ id: "" })],
      ["env", () => credentials().createCredential({ name: "c", env: {} })],
      // An invalid variable name may be a secret pasted into the wrong box, so the server does not echo it.
      ['env["<not a variable name>"]', () => credentials().createCredential({ name: "c", env: { "1BAD": "v" } })],
      ['env["GOOD"]', () => credentials().createCredential({ name: "c", env: { GOOD: "" } })],
      ["role", () => keys().createApiKey({ name: "k" })],
      ["role", () => keys().createApiKey({ name: "k", role: 99 as Role })],
    ];
    const got: string[] = [];
    for (const [field, call] of cases) {
      const err = await refusedUnchanged(server, call, Code.InvalidArgument);
      // One field may break several rules (empty name: length and pattern); each names the field.
      got.push(`${field} -> ${[...new Set(violationPaths(err))].join(", ")}`);
      expect(err.rawMessage, field).toContain(`${field}: `);
      expect(err.rawMessage, field).not.toMatch(/\n\s+at |\.ts:\d+/);
    }
    expect(got).toEqual(cases.map(([field]) => `${field} -> ${field}`));
  });

  it("a duplicate job name is AlreadyExists, on create and on rename", async () => {
    await jobs().createJob({ name: `taken ${protocol}`, spec: spec() });
    const { job } = await jobs().createJob({ name: `free ${protocol}`, spec: spec({ prompt: "keep me" }) });
    await refusedUnchanged(server, () => jobs().createJob({ name: `taken ${protocol}`, spec: spec() }), Code.AlreadyExists);
    await refusedUnchanged(
      server,
      () => jobs().updateJob({ id: job!.id, name: `taken ${protocol}`, spec: spec({ prompt: "changed" }) }),
      Code.AlreadyExists,
    );
    const after = (await jobs().getJob({ id: job!.id })).job!;
    expect(after.name).toBe(`free ${protocol}`);
    expect(after.spec!.prompt).toBe("keep me");
  });

  it("a duplicate credential name is AlreadyExists", async () => {
    await credentials().createCredential({ name: `dup ${protocol}`, env: { A: "1" } });
    await refusedUnchanged(server, () => credentials().createCredential({ name: `dup ${protocol}`, env: { B: "2" } }), Code.AlreadyExists);
  });

  it("an unknown id is NotFound everywhere", async () => {
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["GetJob", () => jobs().getJob({ id: UNKNOWN })],
      ["UpdateJob", () => jobs().updateJob({ id: UNKNOWN, description: "x" })],
      ["DeleteJob", () => jobs().deleteJob({ id: UNKNOWN })],
      ["TriggerJob", () => jobs().triggerJob({ id: UNKNOWN })],
      ["GetRun", () => runs().getRun({ id: UNKNOWN })],
      ["CancelRun", () => runs().cancelRun({ id: UNKNOWN })],
      ["RetryRun", () => runs().retryRun({ id: UNKNOWN })],
      ["ListRunLogs", () => runs().listRunLogs({ runId: UNKNOWN })],
      [
        "WatchRun",
        async () => {
          for await (const _ of runs().watchRun({ runId: UNKNOWN })) return;
        },
      ],
      ["UpdateCredential", () => credentials().updateCredential({ id: UNKNOWN, description: "x" })],
      ["DeleteCredential", () => credentials().deleteCredential({ id: UNKNOWN })],
      ["RevokeApiKey", () => keys().revokeApiKey({ id: UNKNOWN })],
      ["GetWorker", () => workers().getWorker({ id: UNKNOWN })],
      ["DrainWorker", () => workers().drainWorker({ id: UNKNOWN })],
    ];
    for (const [name, call] of calls) {
      const err = await refusedUnchanged(server, call, Code.NotFound).catch((e: Error) => {
        throw new Error(`${name}: ${e.message}`);
      });
      expect(err.rawMessage, name).toContain(UNKNOWN);
    }
  });

  it("a job or run naming an unknown credential is NotFound and stores nothing", async () => {
    const err = await refusedUnchanged(
      server,
      () => jobs().createJob({ name: `cred ${protocol}`, spec: spec({ credentialIds: [UNKNOWN] }) }),
      Code.NotFound,
    );
    expect(err.rawMessage).toContain(UNKNOWN);
    await refusedUnchanged(server, () => runs().createRun({ spec: spec({ credentialIds: [UNKNOWN] }) }), Code.NotFound);
    const { job } = await jobs().createJob({ name: `cred ok ${protocol}`, spec: spec() });
    await refusedUnchanged(server, () => jobs().updateJob({ id: job!.id, spec: spec({ credentialIds: [UNKNOWN] }) }), Code.NotFound);
  });

  it("refuses impossible state changes with FailedPrecondition", async () => {
    const { run } = await runs().createRun({ spec: spec() });
    await refusedUnchanged(server, () => runs().retryRun({ id: run!.id }), Code.FailedPrecondition);
    await runs().cancelRun({ id: run!.id });
    await refusedUnchanged(server, () => runs().cancelRun({ id: run!.id }), Code.FailedPrecondition);
  });

  it("a garbage page token is not an internal error", async () => {
    for (const pageToken of ["%%%", "not base64 at all", "A".repeat(512)]) {
      await runs()
        .listRuns({ pageToken })
        .catch((e: Error) => expect(String(e)).toContain("invalid_argument"));
      await jobs()
        .listJobs({ pageToken })
        .catch((e: Error) => expect(String(e)).toContain("invalid_argument"));
    }
  });
});

describe("the default message size limit", () => {
  it("refuses a request over 8 MiB with ResourceExhausted and stores nothing", async () => {
    expect(server.config.maxMessageBytes).toBe(8 * 1024 * 1024);
    const huge = "x".repeat(server.config.maxMessageBytes + 1024);
    for (const protocol of PROTOCOLS) {
      const jobs = client(JobService, server.url, ADMIN_KEY, protocol);
      await refusedUnchanged(server, () => jobs.createJob({ name: `huge ${protocol}`, description: huge, spec: spec() }), Code.ResourceExhausted);
    }
  });
});
