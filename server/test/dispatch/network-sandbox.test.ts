import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunService, RunStatus, RunView } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";
import { logText } from "../work-product/artifacts-support";

// A run with JobSpec.network "none" can only run on a worker that sandboxes its runs (Hello.sandbox):
// one without a sandbox would refuse it and fail the run. So it waits, saying why, while an
// unsandboxed worker with free slots takes every other run, and goes to a sandboxing worker once one connects.
let server: TestServer;
const workers: WorkerProcess[] = [];
const REASON = "no connected worker that offers shell sandboxes runs (network: none needs ORCH_SANDBOX=bubblewrap or auto with a working bubblewrap)";

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await server?.cleanup();
});

describe('runs with network "none"', () => {
  it("wait for a worker that sandboxes runs, saying why, and run there", async () => {
    const fleet = client(WorkerService, server.url, ADMIN_KEY);
    const runs = client(RunService, server.url, ADMIN_KEY);
    workers.push(startWorker(server.url, { name: "unsandboxed", capacity: 4, env: { ORCH_SANDBOX: "off" } }));
    await waitFor(async () => (await fleet.listWorkers({})).workers.some((w) => w.name === "unsandboxed"), { what: "the unsandboxed worker" });

    const { run: isolated } = await runs.createRun({ spec: { agent: "shell", prompt: "echo offline", network: "none" } });
    // A run with the full network goes through meanwhile: the worker has free slots and takes work.
    const { run: other } = await runs.createRun({ spec: { agent: "shell", prompt: "echo online" } });
    const otherDone = await waitFor(
      async () => {
        const r = (await runs.getRun({ id: other!.id })).run!;
        return r.finishTime ? r : undefined;
      },
      { what: "the full-network run to end" },
    );
    expect(otherDone.status, otherDone.error).toBe(RunStatus.SUCCEEDED);
    const waiting = (await runs.getRun({ id: isolated!.id })).run!;
    expect(waiting.status).toBe(RunStatus.QUEUED);
    expect(waiting.waitingReason).toBe(REASON);
    const listed = (await runs.listRuns({ statuses: [RunStatus.QUEUED], view: RunView.FULL })).runs.find((r) => r.id === isolated!.id);
    expect(listed?.waitingReason).toBe(REASON);

    workers.push(startWorker(server.url, { name: "sandboxed", capacity: 1, env: { ORCH_SANDBOX: "bubblewrap" } }));
    const done = await waitFor(
      async () => {
        const r = (await runs.getRun({ id: isolated!.id })).run!;
        return r.finishTime ? r : undefined;
      },
      { what: "the network-none run to end on the sandboxing worker", timeoutMs: 30_000 },
    );
    expect(done.status, done.error).toBe(RunStatus.SUCCEEDED);
    expect(done.workerName).toBe("sandboxed");
    expect(await logText(server.url, done.id)).toContain("sandbox: bubblewrap, network none");
  });
});
