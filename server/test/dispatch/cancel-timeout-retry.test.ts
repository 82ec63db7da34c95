import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { isAlive } from "../../../testkit/pids";
import { readExecutions } from "../../../testkit/records";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

const GRACE_MS = 1000;
let server: TestServer;
let worker: WorkerProcess;
const recordDir = mkdtempSync(join(tmpdir(), "fc-cancel-"));
let runs: ReturnType<typeof client<typeof RunService>>;

beforeAll(async () => {
  server = await startTestServer();
  worker = startWorker(server.url, {
    name: "cancel-1",
    capacity: 4,
    env: { FAKE_AGENT_RECORD_DIR: recordDir, ORCH_KILL_GRACE_MS: String(GRACE_MS) },
  });
  runs = client(RunService, server.url, ADMIN_KEY);
  const workers = client(WorkerService, server.url, ADMIN_KEY);
  await waitFor(async () => (await workers.listWorkers({})).workers.length === 1, { what: "worker" });
});
afterAll(async () => {
  await worker?.kill();
  await server?.cleanup();
  rmSync(recordDir, { recursive: true, force: true });
});

const finished = (id: string, timeoutMs = 30_000) =>
  waitFor(
    async () => {
      const r = (await runs.getRun({ id })).run!;
      return r.finishTime ? r : undefined;
    },
    { timeoutMs, what: `run ${id} to finish` },
  );

describe("cancel, timeout and retry", () => {
  it("cancels a running agent that ignores SIGTERM within grace + 2 s and kills its whole process group", async () => {
    const tag = "ignore-term";
    const { run } = await runs.createRun({ spec: { agent: "goose", prompt: `lines=100000 sleep_ms=20 ignore_sigterm spawn_child ${tag}` } });
    await waitFor(
      async () => {
        const r = (await runs.getRun({ id: run!.id })).run!;
        return r.status === RunStatus.RUNNING && r.lastSeq > 3n;
      },
      { what: "run to be running with output" },
    );
    const exec = readExecutions(recordDir).find((e) => e.event === "start" && e.prompt.includes(tag))!;
    expect(isAlive(exec.pid)).toBe(true);
    const t0 = Date.now();
    await runs.cancelRun({ id: run!.id, reason: "test cancel" });
    const done = await finished(run!.id);
    expect(done.status).toBe(RunStatus.CANCELLED);
    expect(Date.now() - t0).toBeLessThan(GRACE_MS + 2000);
    // The agent led its own process group; the group, including the grandchild it spawned, is gone.
    await waitFor(
      () => {
        try {
          process.kill(-exec.pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: 2000, what: "process group to be gone" },
    );
  });

  it("cancels a queued run at once", async () => {
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "true", requiredLabels: { none: "x" } } });
    const { run: cancelled } = await runs.cancelRun({ id: run!.id });
    expect(cancelled!.status).toBe(RunStatus.CANCELLED);
    await expect(runs.cancelRun({ id: run!.id })).rejects.toThrow(/already ended/);
  });

  it("times a run out at its deadline", async () => {
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "sleep 30", timeoutSeconds: 1 } });
    const done = await finished(run!.id);
    expect(done.status).toBe(RunStatus.TIMED_OUT);
  });

  it("retries a failing agent with backoff up to max attempts, then fails", async () => {
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "echo attempt; exit 3", maxAttempts: 2, retryBackoffSeconds: 1 } });
    const done = await finished(run!.id);
    expect(done.status).toBe(RunStatus.FAILED);
    expect(done.attempt).toBe(2);
    expect(done.exitCode).toBe(3);
    const { items } = await runs.listRunLogs({ runId: run!.id });
    const texts = items.map((i) => (i.payload.case === "log" ? i.payload.value.text : ""));
    expect(texts.filter((t) => t === "attempt")).toHaveLength(2);
    expect(items.map((i) => Number(i.seq))).toEqual(items.map((_, i) => i + 1));
  });

  it("fails a goose run whose stream ends in error even though it exits 0", async () => {
    const { run } = await runs.createRun({ spec: { agent: "goose", prompt: "lines=2 error=model_overloaded" } });
    const done = await finished(run!.id);
    expect(done.status).toBe(RunStatus.FAILED);
    expect(done.error).toMatch(/model overloaded/);
  });

  it("RetryRun queues a new run with the same snapshot", async () => {
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "exit 1" } });
    await finished(run!.id);
    const { run: retry } = await runs.retryRun({ id: run!.id });
    expect(retry!.retryOfRunId).toBe(run!.id);
    expect(retry!.spec!.prompt).toBe("exit 1");
    expect((await finished(retry!.id)).status).toBe(RunStatus.FAILED);
  });
});
