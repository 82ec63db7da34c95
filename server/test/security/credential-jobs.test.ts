import { rejection } from "../../../testkit/rejection";
/**
 * A credential limited to named jobs (finding 9): only runs of those jobs — triggered, scheduled
 * or retried — may use it; an ad-hoc run or another job is refused naming the credential, and a
 * run queued before the limit changed fails at dispatch rather than receiving the values.
 */
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { startWorker } from "../../../testkit/worker-process";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

describe("a credential's allowed jobs", () => {
  it("admit runs of those jobs only, and are shown and replaced through the API", async () => {
    const creds = client(CredentialService, server.url, ADMIN_KEY);
    const jobs = client(JobService, server.url, ADMIN_KEY);
    const runs = client(RunService, server.url, ADMIN_KEY);
    // No worker has this label: runs stay queued, so only creation is under test here.
    const spec = (credentialIds: string[]) => ({ agent: "shell", prompt: "true", credentialIds, requiredLabels: { pool: "nowhere" } });
    const { job: allowed } = await jobs.createJob({ name: "deploy", spec: spec([]) });
    const { job: other } = await jobs.createJob({ name: "other", spec: spec([]) });
    const { credential } = await creds.createCredential({ name: "prod-deploy", env: { DEPLOY_KEY: "k-0123456789" }, allowedJobIds: [allowed!.id] });
    expect(credential!.allowedJobIds).toEqual([allowed!.id]);
    expect((await creds.listCredentials({})).credentials[0].allowedJobIds).toEqual([allowed!.id]);
    await jobs.updateJob({ id: allowed!.id, spec: spec([credential!.id]) });
    await jobs.updateJob({ id: other!.id, spec: spec([credential!.id]) });

    const { run } = await jobs.triggerJob({ id: allowed!.id });
    expect(run!.status).toBe(RunStatus.QUEUED);
    await runs.cancelRun({ id: run!.id });
    expect((await runs.retryRun({ id: run!.id })).run!.jobId).toBe(allowed!.id);

    const adHoc = await rejection(runs.createRun({ spec: spec([credential!.id]) }));
    expect(adHoc?.code).toBe(Code.PermissionDenied);
    expect(adHoc?.rawMessage).toContain('credential "prod-deploy" may be used only by runs of its allowed jobs');
    expect(adHoc?.rawMessage).toContain("not by an ad-hoc run");
    const wrongJob = await rejection(jobs.triggerJob({ id: other!.id }));
    expect(wrongJob?.code).toBe(Code.PermissionDenied);
    expect(wrongJob?.rawMessage).toContain(`not by job ${other!.id}`);

    // Replaced, then lifted with an empty list; an unset field keeps it.
    await creds.updateCredential({ id: credential!.id, allowedJobIds: { ids: [other!.id] } });
    expect((await rejection(jobs.triggerJob({ id: allowed!.id })))?.code).toBe(Code.PermissionDenied);
    expect((await creds.updateCredential({ id: credential!.id, description: "d" })).credential!.allowedJobIds).toEqual([other!.id]);
    await creds.updateCredential({ id: credential!.id, allowedJobIds: { ids: [] } });
    expect((await runs.createRun({ spec: spec([credential!.id]) })).run!.status).toBe(RunStatus.QUEUED);

    const unknown = await rejection(creds.updateCredential({ id: credential!.id, allowedJobIds: { ids: ["01890000-0000-7000-8000-000000000000"] } }));
    expect(unknown?.code).toBe(Code.NotFound);
  });

  it("are checked again at dispatch: a run queued before the limit changed fails without its values", async () => {
    const creds = client(CredentialService, server.url, ADMIN_KEY);
    const jobs = client(JobService, server.url, ADMIN_KEY);
    const runs = client(RunService, server.url, ADMIN_KEY);
    const { credential } = await creds.createCredential({ name: "late-limit", env: { TOKEN_X: "tok-SECRET-late-0123" } });
    const { job } = await jobs.createJob({
      name: "late",
      spec: { agent: "shell", prompt: "echo $TOKEN_X", credentialIds: [credential!.id], requiredLabels: { pool: "late" } },
    });
    const { run } = await jobs.triggerJob({ id: job!.id });
    const { job: elsewhere } = await jobs.createJob({ name: "elsewhere", spec: { agent: "shell", prompt: "true" } });
    await creds.updateCredential({ id: credential!.id, allowedJobIds: { ids: [elsewhere!.id] } });
    const worker = startWorker(server.url, { name: "late-worker", labels: "pool=late" });
    try {
      const done = await waitFor(
        async () => {
          const r = (await runs.getRun({ id: run!.id })).run!;
          return r.finishTime ? r : undefined;
        },
        { what: "the run to fail at dispatch", timeoutMs: 30_000 },
      );
      expect(done.status).toBe(RunStatus.FAILED);
      expect(done.error).toContain('credential "late-limit" may be used only by runs of its allowed jobs');
      const { items } = await runs.listRunLogs({ runId: run!.id });
      expect(JSON.stringify(items.map((i) => i.payload))).not.toContain("tok-SECRET-late");
    } finally {
      await worker.kill();
    }
  });
});
