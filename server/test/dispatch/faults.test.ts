import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "vitest";
import { RunService, RunStatus, type RunOutput } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService, WorkerState } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { contiguous, seqs } from "../../../testkit/records";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { freePort } from "../../../testkit/free-port";
import { startServerProcess, type ServerProcess } from "../../../testkit/server-process";
import { startWorker } from "../../../testkit/worker-process";

const LOST_AFTER_MS = 1500;
type Cleanups = Array<() => Promise<unknown>>;

/** A test's cleanups, run last-first when it finishes: the tests run at the same time, each with its own. */
function cleanupsOf({ onTestFinished }: TestContext): Cleanups {
  const cleanups: Cleanups = [];
  onTestFinished(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  return cleanups;
}

async function allLogs(runs: ReturnType<typeof client<typeof RunService>>, runId: string): Promise<RunOutput[]> {
  const out: RunOutput[] = [];
  for (let after = 0n; ; ) {
    const page = await runs.listRunLogs({ runId, afterSeq: after, pageSize: 5000 });
    out.push(...page.items);
    if (page.end) return out;
    after = page.nextAfterSeq;
  }
}

/** A server in this process; with the short lost-worker lease unless `lease` is false (the default 15 s). */
async function serverWith(cleanups: Cleanups, lease = true): Promise<TestServer> {
  const s = await startTestServer(lease ? { workerLostAfterMs: LOST_AFTER_MS } : {});
  cleanups.push(() => s.cleanup());
  return s;
}

function worker(cleanups: Cleanups, url: string, name: string) {
  const w = startWorker(url, { name });
  cleanups.push(() => w.kill());
  return w;
}

const getRun = (runs: ReturnType<typeof client<typeof RunService>>, id: string) => runs.getRun({ id }).then((r) => r.run!);

describe("faults", () => {
  it("requeues a SIGKILLed worker's run within the lost-worker timeout + 2 s and finishes it on another worker", async (t) => {
    const { expect } = t;
    const cleanups = cleanupsOf(t);
    const server = await serverWith(cleanups);
    const runs = client(RunService, server.url, ADMIN_KEY);
    const a = worker(cleanups, server.url, "victim");
    // Long on the victim (it must still be running when the rescuer is up and the victim is killed,
    // however slowly a loaded machine starts the rescuer), short on the retry: a marker file tells them apart.
    const markerDir = mkdtempSync(join(tmpdir(), "fc-faults-"));
    cleanups.push(async () => rmSync(markerDir, { recursive: true, force: true }));
    const marker = join(markerDir, "first-attempt");
    const prompt = `if [ -e ${marker} ]; then n=10; else touch ${marker}; n=600; fi; for i in $(seq 1 $n); do echo $i; sleep 0.05; done`;
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt, maxAttempts: 2 } });
    await waitFor(async () => (await getRun(runs, run!.id)).status === RunStatus.RUNNING, { what: "running on the victim" });
    const b = worker(cleanups, server.url, "rescuer");
    await waitFor(async () => (await client(WorkerService, server.url, ADMIN_KEY).listWorkers({})).workers.length === 2, { what: "rescuer" });
    const killedAt = Date.now();
    await a.kill("SIGKILL");
    const requeued = await waitFor(
      async () => {
        const r = await getRun(runs, run!.id);
        return r.attempt === 2 ? r : undefined;
      },
      { what: "requeue" },
    );
    expect(Date.now() - killedAt).toBeLessThan(LOST_AFTER_MS + 2000);
    expect(requeued.error).toMatch(/victim was lost/);
    const done = await waitFor(
      async () => {
        const r = await getRun(runs, run!.id);
        return r.finishTime ? r : undefined;
      },
      { what: "finish on the rescuer" },
    );
    expect(done.status, b.output()).toBe(RunStatus.SUCCEEDED);
    expect(done.workerName).toBe("rescuer");
    expect(contiguous(seqs(await allLogs(runs, run!.id)))).toBe(true);
  });

  it("ends a lost worker's run as lost when no attempts remain", async (t) => {
    const { expect } = t;
    const cleanups = cleanupsOf(t);
    const server = await serverWith(cleanups);
    const runs = client(RunService, server.url, ADMIN_KEY);
    const a = worker(cleanups, server.url, "lonely");
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "sleep 6", maxAttempts: 1 } });
    await waitFor(async () => (await getRun(runs, run!.id)).status === RunStatus.RUNNING, { what: "running" });
    await a.kill("SIGKILL");
    const done = await waitFor(
      async () => {
        const r = await getRun(runs, run!.id);
        return r.finishTime ? r : undefined;
      },
      { timeoutMs: LOST_AFTER_MS + 5000, what: "lost" },
    );
    expect(done.status).toBe(RunStatus.LOST);
  });

  // The tests below have no short lease and wait together (each has its own server and workers). The
  // two above run alone: with a 1.5 s lease, a worker fences itself when its in-process server's
  // event loop stalls for a second, which another test's server start-up (migrations) caused when
  // they ran beside these. (Server processes for all five cost more start-up CPU than they save.)
  it.concurrent("survives a server SIGKILL and restart mid-run: the worker keeps its run and every seq is stored exactly once", async (t) => {
    const { expect } = t;
    const cleanups = cleanupsOf(t);
    const dataDir = mkdtempSync(join(tmpdir(), "fc-restart-"));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    let server: ServerProcess = await startServerProcess(dataDir, port);
    cleanups.push(() => server.kill());
    const runs = client(RunService, server.url, ADMIN_KEY);
    const w = worker(cleanups, server.url, "survivor");
    const LINES = 3000;
    const { run } = await runs.createRun({
      spec: { agent: "shell", prompt: `for i in $(seq 1 ${LINES}); do echo "line $i"; [ $((i % 50)) -eq 0 ] && sleep 0.05; done` },
    });
    await waitFor(async () => (await getRun(runs, run!.id)).lastSeq > 200n, { what: "some output stored" });
    await server.kill("SIGKILL");
    server = await startServerProcess(dataDir, port);
    const done = await waitFor(
      async () => {
        const r = await getRun(runs, run!.id).catch(() => undefined);
        return r?.finishTime ? r : undefined;
      },
      { timeoutMs: 30_000, what: "run to finish after the restart" },
    );
    expect(done.status, w.output()).toBe(RunStatus.SUCCEEDED);
    expect(done.attempt).toBe(1);
    expect(done.workerName).toBe("survivor");
    const items = await allLogs(runs, run!.id);
    expect(contiguous(seqs(items))).toBe(true);
    const numbered = items.flatMap((i) => {
      const m = i.payload.case === "log" ? /^line (\d+)$/.exec(i.payload.value.text) : null;
      return m ? [Number(m[1])] : [];
    });
    expect(numbered).toEqual(Array.from({ length: LINES }, (_, k) => k + 1));
  });

  it.concurrent("drains a worker on SIGTERM: nothing new, running runs finish, exit 0", async (t) => {
    const { expect } = t;
    const cleanups = cleanupsOf(t);
    const server = await serverWith(cleanups, false);
    const runs = client(RunService, server.url, ADMIN_KEY);
    const workers = client(WorkerService, server.url, ADMIN_KEY);
    const w = worker(cleanups, server.url, "drainer");
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "sleep 1; echo done" } });
    await waitFor(async () => (await getRun(runs, run!.id)).status === RunStatus.RUNNING, { what: "running" });
    w.child.kill("SIGTERM");
    await waitFor(async () => (await workers.listWorkers({})).workers[0]?.state === WorkerState.DRAINING, { what: "draining state" });
    const { run: later } = await runs.createRun({ spec: { agent: "shell", prompt: "echo later" } });
    expect(await w.exited).toBe(0);
    expect((await getRun(runs, run!.id)).status).toBe(RunStatus.SUCCEEDED);
    expect((await getRun(runs, later!.id)).status).toBe(RunStatus.QUEUED);
  });

  it.concurrent("DrainWorker makes an idle worker exit 0 and it shows offline", async (t) => {
    const { expect } = t;
    const cleanups = cleanupsOf(t);
    const server = await serverWith(cleanups, false);
    const workers = client(WorkerService, server.url, ADMIN_KEY);
    const w = worker(cleanups, server.url, "drained-by-rpc");
    const listed = await waitFor(async () => (await workers.listWorkers({})).workers[0], { what: "worker" });
    const { worker: drained } = await workers.drainWorker({ id: listed.id });
    expect(drained!.state).toBe(WorkerState.DRAINING);
    expect(await w.exited).toBe(0);
    await waitFor(async () => (await workers.getWorker({ id: listed.id })).worker!.state === WorkerState.OFFLINE, { what: "offline" });
  });
});
