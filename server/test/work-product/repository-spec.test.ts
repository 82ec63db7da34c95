import { rejection } from "../../../testkit/rejection";
/**
 * JobSpec.repository as the server takes it: its credential follows the same allowed-jobs rule as
 * credential_ids (at creation and again at dispatch), a URL with credentials in it is refused, and
 * the changes a worker reports are stored and returned with the run.
 */
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { startWorker } from "../../../testkit/worker-process";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

const NOWHERE = { pool: "nowhere" };

describe("a spec's repository", () => {
  it("may use a credential limited to other jobs only in runs of those jobs", async () => {
    const creds = client(CredentialService, server.url, ADMIN_KEY);
    const jobs = client(JobService, server.url, ADMIN_KEY);
    const runs = client(RunService, server.url, ADMIN_KEY);
    const { job: allowed } = await jobs.createJob({ name: "repo-allowed", spec: { agent: "shell", prompt: "true", requiredLabels: NOWHERE } });
    const { credential } = await creds.createCredential({ name: "git-deploy", env: { GIT_TOKEN: "tok-git-0123" }, allowedJobIds: [allowed!.id] });
    const spec = {
      agent: "shell",
      prompt: "true",
      requiredLabels: NOWHERE,
      repository: { url: "https://git.example.com/org/app.git", credentialId: credential!.id },
    };
    await jobs.updateJob({ id: allowed!.id, spec });
    expect((await jobs.triggerJob({ id: allowed!.id })).run!.status).toBe(RunStatus.QUEUED);
    const adHoc = await rejection(runs.createRun({ spec }));
    expect(adHoc?.code).toBe(Code.PermissionDenied);
    expect(adHoc?.rawMessage).toContain('credential "git-deploy" may be used only by runs of its allowed jobs');
    const missing = await rejection(
      runs.createRun({ spec: { ...spec, repository: { ...spec.repository, credentialId: "01890000-0000-7000-8000-000000000000" } } }),
    );
    expect(missing?.code).toBe(Code.NotFound);
  });

  it("is checked again at dispatch: a run whose repository credential no longer allows it fails without it", async () => {
    const creds = client(CredentialService, server.url, ADMIN_KEY);
    const runs = client(RunService, server.url, ADMIN_KEY);
    const { credential } = await creds.createCredential({ name: "git-late", env: { GIT_TOKEN: "tok-git-late-0123" } });
    const { run } = await runs.createRun({
      spec: {
        agent: "shell",
        prompt: "true",
        requiredLabels: { pool: "git-late" },
        repository: { url: "https://git.example.com/org/app.git", credentialId: credential!.id },
      },
    });
    const { job: elsewhere } = await client(JobService, server.url, ADMIN_KEY).createJob({
      name: "git-elsewhere",
      spec: { agent: "shell", prompt: "true" },
    });
    await creds.updateCredential({ id: credential!.id, allowedJobIds: { ids: [elsewhere!.id] } });
    const worker = startWorker(server.url, { name: "git-late-worker", labels: "pool=git-late" });
    try {
      const done = await waitFor(
        async () => {
          const r = (await runs.getRun({ id: run!.id })).run!;
          return r.finishTime ? r : undefined;
        },
        { what: "the run to fail at dispatch", timeoutMs: 30_000 },
      );
      expect(done.status).toBe(RunStatus.FAILED);
      expect(done.error).toContain('credential "git-late" may be used only by runs of its allowed jobs');
    } finally {
      await worker.kill();
    }
  });

  it("refuses a URL with credentials in it, or that is not a git URL, and a malformed branch", async () => {
    const runs = client(RunService, server.url, ADMIN_KEY);
    for (const url of ["https://user:tok@git.example.com/org/app.git", "ftp://git.example.com/app.git", "not a url"]) {
      const err = await rejection(runs.createRun({ spec: { agent: "shell", prompt: "true", repository: { url } } }));
      expect(err?.code, url).toBe(Code.InvalidArgument);
      expect(err?.rawMessage).toContain("spec.repository.url");
    }
    const branch = await rejection(
      runs.createRun({ spec: { agent: "shell", prompt: "true", repository: { url: "git@github.com:org/app.git", branch: "-x" } } }),
    );
    expect(branch?.code).toBe(Code.InvalidArgument);
    for (const url of [
      "https://github.com/org/app.git",
      "ssh://git@github.com/org/app.git",
      "git@github.com:org/app.git",
      "git://127.0.0.1:9418/app.git",
      "http://127.0.0.1:8080/app.git",
    ]) {
      const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "true", requiredLabels: NOWHERE, repository: { url } } });
      expect(run!.spec!.repository!.url).toBe(url);
      await runs.cancelRun({ id: run!.id });
    }
  });
});
