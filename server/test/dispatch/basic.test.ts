import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunService, RunStatus, LogStream } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

let server: TestServer;
let worker: WorkerProcess;

beforeAll(async () => {
  server = await startTestServer();
  worker = startWorker(server.url, { name: "basic-1", capacity: 2 });
});
afterAll(async () => {
  await worker?.kill();
  await server?.cleanup();
});

describe("dispatch end to end", () => {
  it("runs a shell job on a real worker and stores its log", async () => {
    const runs = client(RunService, server.url, ADMIN_KEY);
    const workers = client(WorkerService, server.url, ADMIN_KEY);
    await waitFor(async () => (await workers.listWorkers({})).workers.length === 1, { what: "worker to connect" });
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "echo hello; echo oops >&2; exit 0" } });
    const done = await waitFor(
      async () => {
        const r = (await runs.getRun({ id: run!.id })).run!;
        return r.status === RunStatus.SUCCEEDED || r.status === RunStatus.FAILED ? r : undefined;
      },
      { what: "run to finish" },
    );
    expect(done.status, worker.output()).toBe(RunStatus.SUCCEEDED);
    expect(done.exitCode).toBe(0);
    const logs = await runs.listRunLogs({ runId: run!.id });
    const lines = logs.items.filter((i) => i.payload.case === "log").map((i) => i.payload.value as { stream: LogStream; text: string });
    expect(lines.find((l) => l.text === "hello")?.stream).toBe(LogStream.STDOUT);
    expect(lines.find((l) => l.text === "oops")?.stream).toBe(LogStream.STDERR);
    expect(logs.items.map((i) => Number(i.seq))).toEqual(logs.items.map((_, i) => i + 1));
  });

  it("runs the fake goose agent and stores its structured events", async () => {
    const runs = client(RunService, server.url, ADMIN_KEY);
    const { run } = await runs.createRun({ spec: { agent: "goose", prompt: "lines=5 tool_call", provider: "openai", model: "gpt-4o" } });
    const done = await waitFor(
      async () => {
        const r = (await runs.getRun({ id: run!.id })).run!;
        return r.finishTime ? r : undefined;
      },
      { what: "goose run to finish" },
    );
    expect(done.status, `${done.error}\n${worker.output()}`).toBe(RunStatus.SUCCEEDED);
    const { items } = await runs.listRunLogs({ runId: run!.id });
    const kinds = items.filter((i) => i.payload.case === "event").map((i) => (i.payload.value as { kind: { case: string } }).kind.case);
    expect(kinds).toContain("toolCall");
    expect(kinds).toContain("usage");
  });
});
