import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkspaceService } from "../../src/gen/flightcontrol/v1/workspace_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { handWorker, hello, type WorkerSession } from "../../../testkit/worker-session";

let server: TestServer;
const sessions: WorkerSession[] = [];
/** The red workspace's id, once the first test made it. */
let redId = "";

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  for (const s of sessions) await s.close();
  await server?.cleanup();
});

const assigned = (w: WorkerSession) => w.received.filter((r) => r.message.case === "assign").map((r) => (r.message.value as { runId: string }).runId);

describe("workers of a workspace", () => {
  it("receive only their workspace's runs, with runs of two workspaces queued at once", async () => {
    const url = server.url;
    const ws = client(WorkspaceService, url, ADMIN_KEY);
    const keys = client(ApiKeyService, url, ADMIN_KEY);
    const teams = await Promise.all(
      ["red", "blue"].map(async (name) => {
        const id = (await ws.createWorkspace({ name })).workspace!.id;
        const operator = (await keys.createApiKey({ name: `${name} operator`, role: Role.OPERATOR, workspaceId: id })).key;
        const worker = (await keys.createApiKey({ name: `${name} worker`, role: Role.WORKER, workspaceId: id })).key;
        return { name, id, operator, worker };
      }),
    );
    redId = teams[0].id;
    // Both queues filled before any worker exists, interleaved so neither workspace's runs come first.
    const runs: Record<string, string[]> = { red: [], blue: [] };
    for (let i = 0; i < 4; i++) {
      for (const t of teams) {
        const { run } = await client(RunService, url, t.operator).createRun({ spec: { prompt: `echo ${t.name} ${i}`, agent: "shell" } });
        runs[t.name].push(run!.id);
      }
    }
    // Each worker has slots for every run of both workspaces: only the workspace decides what it gets.
    const workers = Object.fromEntries(
      teams.map((t) => {
        const w = handWorker(url, { case: "hello", value: hello(`${t.name}-worker`, { capacity: 8 }) }, t.worker);
        sessions.push(w);
        return [t.name, w];
      }),
    );
    await waitFor(async () => assigned(workers.red).length === 4 && assigned(workers.blue).length === 4, {
      what: "every run assigned to its workspace's worker",
    });
    expect(assigned(workers.red).sort()).toEqual([...runs.red].sort());
    expect(assigned(workers.blue).sort()).toEqual([...runs.blue].sort());
  });

  it("wait when only another workspace's workers are connected", async () => {
    const url = server.url;
    const keys = client(ApiKeyService, url, ADMIN_KEY);
    const id = (await client(WorkspaceService, url, ADMIN_KEY).createWorkspace({ name: "green" })).workspace!.id;
    const green = (await keys.createApiKey({ name: "green op", role: Role.OPERATOR, workspaceId: id })).key;
    const { run } = await client(RunService, url, green).createRun({ spec: { prompt: "echo green", agent: "shell" } });
    // A red run queued after it: once the red worker (free slots, same agent) has it, the dispatcher
    // has passed the green run, which is older, and left it.
    expect(redId).not.toBe("");
    const red = (await keys.createApiKey({ name: "red op 2", role: Role.OPERATOR, workspaceId: redId })).key;
    const { run: later } = await client(RunService, url, red).createRun({ spec: { prompt: "echo red later", agent: "shell" } });
    const redWorker = sessions[0];
    await waitFor(async () => assigned(redWorker).includes(later!.id), { what: "the later red run assigned" });
    expect((await server.app.runs.get(run!.id))?.status).toBe("queued");
    for (const w of sessions) expect(assigned(w)).not.toContain(run!.id);
  });
});
