import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkspaceService } from "../../src/gen/flightcontrol/v1/workspace_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { handWorker, hello, type WorkerSession } from "../../../testkit/worker-session";

let server: TestServer;
let worker: WorkerSession | undefined;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await worker?.close();
  await server?.cleanup();
});

const spec = { prompt: "echo limited", agent: "shell" };

async function workspaceWith(name: string, limits: { maxConcurrentRuns?: number; maxQueuedRuns?: number }) {
  const id = (await client(WorkspaceService, server.url, ADMIN_KEY).createWorkspace({ name, ...limits })).workspace!.id;
  const keys = client(ApiKeyService, server.url, ADMIN_KEY);
  const operator = (await keys.createApiKey({ name: `${name} op`, role: Role.OPERATOR, workspaceId: id })).key;
  const workerKey = (await keys.createApiKey({ name: `${name} worker`, role: Role.WORKER, workspaceId: id })).key;
  return { id, operator, workerKey };
}

describe("per-workspace limits", () => {
  it("CreateRun is ResourceExhausted, naming the limit, once max_queued_runs runs are queued", async () => {
    const w = await workspaceWith("queue-limited", { maxQueuedRuns: 2 });
    const runs = client(RunService, server.url, w.operator);
    await runs.createRun({ spec });
    await runs.createRun({ spec });
    const err = await runs.createRun({ spec }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect(Code[(err as ConnectError).code]).toBe("ResourceExhausted");
    expect((err as ConnectError).rawMessage).toContain("2 queued runs");
    // The limit is the workspace's: others queue as before.
    await client(RunService, server.url, ADMIN_KEY).createRun({ spec });
    // A workspace's own admin may not lift it; the instance admin may.
    const { key: ownAdmin } = await client(ApiKeyService, server.url, ADMIN_KEY).createApiKey({
      name: "own admin",
      role: Role.ADMIN,
      workspaceId: w.id,
    });
    const lifted = await client(WorkspaceService, server.url, ownAdmin)
      .updateWorkspace({ id: w.id, maxQueuedRuns: 100 })
      .catch((e: unknown) => ConnectError.from(e));
    expect(Code[(lifted as ConnectError).code]).toBe("PermissionDenied");
    await client(WorkspaceService, server.url, ADMIN_KEY).updateWorkspace({ id: w.id, maxQueuedRuns: 3 });
    await runs.createRun({ spec });
  });

  it("the dispatcher never has more than max_concurrent_runs of a workspace out, and starts queued runs as slots free", async () => {
    const w = await workspaceWith("concurrency-limited", { maxConcurrentRuns: 2 });
    const runs = client(RunService, server.url, w.operator);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await runs.createRun({ spec })).run!.id);
    // One worker with slots for all six: only the limit holds them back.
    worker = handWorker(server.url, { case: "hello", value: hello("limited-worker", { capacity: 6 }) }, w.workerKey);
    const assigns = () =>
      worker!.received.filter((r) => r.message.case === "assign").map((r) => r.message.value as { runId: string; attempt: number });
    const active = async () =>
      Number(
        (
          await server.app.db.dataSource.query("SELECT COUNT(*) AS n FROM job_runs WHERE workspace_id = ? AND status IN ('assigned', 'running')", [
            w.id,
          ])
        )[0].n,
      );
    const finished = new Set<string>();
    while (finished.size < ids.length) {
      await waitFor(async () => assigns().length === Math.min(ids.length, finished.size + 2), { what: "the next runs assigned up to the limit" });
      expect(await active()).toBeLessThanOrEqual(2);
      // Give the dispatcher the chance to overshoot: a kick with free worker slots must not assign a third.
      server.app.dispatcher.kick();
      await new Promise((r) => setTimeout(r, 50));
      expect(assigns().length).toBe(Math.min(ids.length, finished.size + 2));
      // A run held back says why.
      const waiting = ids.find((id) => !assigns().some((x) => x.runId === id));
      if (waiting) expect((await runs.getRun({ id: waiting })).run?.waitingReason).toContain("max_concurrent_runs");
      const next = assigns().find((a) => !finished.has(a.runId))!;
      worker.send({
        case: "runFinished",
        value: { runId: next.runId, attempt: next.attempt, status: RunStatus.SUCCEEDED, exitCode: 0, lastSeq: 0n },
      });
      await worker.next("logAck", (a) => a.runId === next.runId && a.finished);
      finished.add(next.runId);
    }
    expect(new Set(assigns().map((a) => a.runId))).toEqual(new Set(ids));
  });
});
