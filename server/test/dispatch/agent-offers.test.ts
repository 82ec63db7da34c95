import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

// Issue #15, "Workers offer what they have": a worker without a codex binary used to offer codex
// anyway, take a codex run and fail it ("codex binary not found"); now the run waits, saying why.
let server: TestServer;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await server?.cleanup();
});

describe("workers offer only the agents they have", () => {
  it("keeps a run for an agent no connected worker offers queued, with the reason, until a worker that has it connects", async () => {
    const fleet = client(WorkerService, server.url, ADMIN_KEY);
    const runs = client(RunService, server.url, ADMIN_KEY);
    workers.push(startWorker(server.url, { name: "no-codex", env: { ORCH_CODEX_BIN: "codex-not-installed-here" } }));
    const first = await waitFor(async () => (await fleet.listWorkers({})).workers.find((w) => w.name === "no-codex"), {
      what: "the worker without codex",
    });
    expect([...first.agents].sort()).toEqual(["claude-code", "goose", "shell"]);
    expect(first.agentVersions).toEqual({ goose: "1.25.0", "claude-code": "2.1.197", shell: "" });

    const { run } = await runs.createRun({ spec: { agent: "codex", prompt: "lines=1" } });
    // A goose run goes through meanwhile: the worker is up and taking work.
    const { run: other } = await runs.createRun({ spec: { agent: "goose", prompt: "lines=1" } });
    await waitFor(async () => (await runs.getRun({ id: other!.id })).run!.status === RunStatus.SUCCEEDED, { what: "the goose run to succeed" });
    const waiting = (await runs.getRun({ id: run!.id })).run!;
    expect(waiting.status).toBe(RunStatus.QUEUED);
    expect(waiting.waitingReason).toBe("no connected worker offers codex");
    const listed = (await runs.listRuns({ statuses: [RunStatus.QUEUED] })).runs.find((r) => r.id === run!.id);
    expect(listed?.waitingReason).toBe("no connected worker offers codex");

    workers.push(startWorker(server.url, { name: "with-codex", agents: "codex" }));
    const done = await waitFor(
      async () => {
        const r = (await runs.getRun({ id: run!.id })).run!;
        return r.status === RunStatus.SUCCEEDED || r.status === RunStatus.FAILED ? r : undefined;
      },
      { what: "the codex run to end on the worker that has codex", timeoutMs: 20_000 },
    );
    expect(done.status, done.error).toBe(RunStatus.SUCCEEDED);
    expect(done.workerName).toBe("with-codex");
    expect(done.waitingReason).toBe("");
    const second = (await fleet.listWorkers({})).workers.find((w) => w.name === "with-codex");
    expect(second?.agentVersions).toEqual({ codex: "0.171.0" });
  });

  it("says when the workers that offer the agent lack the labels the run requires", async () => {
    const runs = client(RunService, server.url, ADMIN_KEY);
    const { run } = await runs.createRun({ spec: { agent: "goose", prompt: "lines=1", requiredLabels: { gpu: "true" } } });
    await waitFor(async () => (await runs.getRun({ id: run!.id })).run!.waitingReason !== "", { what: "a waiting reason" });
    expect((await runs.getRun({ id: run!.id })).run!.waitingReason).toBe("no connected worker that offers goose has the labels gpu=true");
    await runs.cancelRun({ id: run!.id });
  });
});
