import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService, WorkerState } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { freePort } from "../../../testkit/free-port";
import { startServerProcess, type ServerProcess } from "../../../testkit/server-process";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

const dataDir = mkdtempSync(join(tmpdir(), "fc-shutdown-"));
let server: ServerProcess | undefined;
let worker: WorkerProcess | undefined;
afterAll(async () => {
  await worker?.kill();
  await server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("graceful shutdown", () => {
  it("stops within 10 s on SIGTERM with a busy worker and an open watcher, and the worker comes back after a restart", async () => {
    const port = await freePort();
    server = await startServerProcess(dataDir, port);
    worker = startWorker(server.url, { name: "shutdown-1" });
    const runs = client(RunService, server.url, ADMIN_KEY);
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "for i in $(seq 1 60); do echo $i; sleep 0.1; done" } });
    await waitFor(async () => (await runs.getRun({ id: run!.id })).run!.status === RunStatus.RUNNING, { what: "running" });
    const watch = (async () => {
      try {
        for await (const _ of runs.watchRun({ runId: run!.id })) void _;
      } catch {
        // The stream ends with the server; that is the point.
      }
    })();
    const t0 = Date.now();
    server.child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => server!.child.once("exit", (c) => r(c)));
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    await watch;

    server = await startServerProcess(dataDir, port);
    const workers = client(WorkerService, server.url, ADMIN_KEY);
    await waitFor(async () => (await workers.listWorkers({})).workers.find((w) => w.name === "shutdown-1")?.state === WorkerState.ONLINE, {
      what: "worker to reconnect",
    });
    const done = await waitFor(
      async () => {
        const r = (await client(RunService, server!.url, ADMIN_KEY).getRun({ id: run!.id })).run!;
        return r.finishTime ? r : undefined;
      },
      { what: "run to finish on the same worker" },
    );
    expect(done.status).toBe(RunStatus.SUCCEEDED);
    expect(done.attempt).toBe(1);
  });
});
