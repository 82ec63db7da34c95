import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, describe, it, type TestContext } from "vitest";
import { RunService, RunStatus, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService, WorkerState } from "../../src/gen/flightcontrol/v1/worker_pb";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../src/gen/grpc/health/v1/health_pb";
import { checkRuns } from "../faults/check-runs";
import { startProxy, type FaultProxy } from "../faults/proxy";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { havePostgres, TempCluster } from "../../../testkit/postgres";
import { ADMIN_KEY } from "../../../testkit/keys";
import { freePort } from "../../../testkit/free-port";
import { startServerProcess, type ServerProcess } from "../../../testkit/server-process";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

/**
 * The database fails under a working fleet: runs are printing lines, one worker's connection drops
 * and an idle worker is stopped with two SIGTERMs while it is down. The server must stay up, say it
 * is not ready and why, refuse RPCs with Unavailable, keep the connected workers' sessions and
 * agents going, and, once the database is back, finish every run with every line stored once.
 */

const RUNS = 6;
const LINES = 80;
const OUTAGE_HINT = /the database is unavailable/;

interface Outage {
  /** Makes every database write fail (and, for Postgres, every read). */
  begin(server: ServerProcess): Promise<void>;
  end(server: ServerProcess): Promise<void>;
}

async function readyz(server: ServerProcess) {
  const res = await fetch(`${server.url}/readyz`).catch((err: unknown) => {
    const { exitCode, signalCode } = server.child;
    throw new Error(
      `the server does not answer (${String(err)}; exit code ${exitCode}, signal ${signalCode}); its output:\n${server.output().slice(-4000)}`,
    );
  });
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
}

async function scenario({ expect, onTestFinished }: TestContext, outage: Outage, env: Record<string, string>, launcher?: string[]) {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  onTestFinished(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const dataDir = mkdtempSync(join(tmpdir(), "fc-outage-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServerProcess(
    dataDir,
    await freePort(),
    {
      // A lease longer than the outage: the dropped worker must get back in time, not fence its runs.
      ORCH_WORKER_LOST_AFTER_MS: "30000",
      ORCH_HEARTBEAT_INTERVAL_MS: "300",
      ...env,
    },
    { launcher },
  );
  cleanups.push(() => server.kill());
  const proxy: FaultProxy = await startProxy(Number(new URL(server.url).port));
  cleanups.push(() => proxy.close());
  const workers: WorkerProcess[] = [
    startWorker(server.url, { name: "steady", capacity: 3 }),
    startWorker(proxy.url, { name: "dropped", capacity: 3 }),
    // Runs nothing here (shell runs need the shell agent): the idle worker of the reported crash.
    startWorker(server.url, { name: "idle", capacity: 1, agents: "goose" }),
  ];
  cleanups.push(() => Promise.all(workers.map((w) => w.kill())));
  const [, , idle] = workers;
  const api = client(RunService, server.url, ADMIN_KEY);
  const fleet = client(WorkerService, server.url, ADMIN_KEY);
  const health = client(Health, server.url, undefined, "grpc");
  await waitFor(async () => (await fleet.listWorkers({})).workers.length === 3, { what: "three workers to connect" });

  const marks = new Map(Array.from({ length: RUNS }, (_, i) => [`r${i}`, { lines: LINES }]));
  const created: string[] = [];
  for (const mark of marks.keys()) {
    const prompt = `for i in $(seq 0 ${LINES - 1}); do echo "line $i"; sleep 0.05; done # mark=${mark}`;
    created.push((await api.createRun({ spec: { agent: "shell", prompt } })).run!.id);
  }
  await waitFor(
    async () => {
      const runs = await Promise.all(created.map(async (id) => (await api.getRun({ id })).run!));
      return runs.every((r) => r.status === RunStatus.RUNNING && r.lastSeq > 3n);
    },
    { what: "every run to be running and printing" },
  );

  await outage.begin(server);

  // Log batches keep arriving: their writes fail, and the server says so and why.
  const down = await waitFor(
    async () => {
      const r = await readyz(server);
      return r.status === 503 ? r : undefined;
    },
    { what: "/readyz to report the outage" },
  );
  expect(down.body.status).toBe("unavailable");
  expect(down.body.reason).toMatch(OUTAGE_HINT);
  expect((await health.check({})).status).toBe(Serving.NOT_SERVING);
  const refused = await api.createRun({ spec: { agent: "shell", prompt: "echo never" } }).then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  expect(refused?.code, String(refused)).toBe(Code.Unavailable);
  expect(refused?.rawMessage).toMatch(OUTAGE_HINT);
  // Unauthenticated, and reading the database: the scrape that used to kill the server.
  const scrape = await fetch(`${server.url}/metrics`);
  expect(scrape.status).toBe(200);
  expect(await scrape.text()).toMatch(/^flightcontrol_database_up 0$/m);

  proxy.cut();
  idle.child.kill("SIGTERM");
  idle.child.kill("SIGTERM");
  await idle.exited;
  // Every kind of write has failed at least once: output, the disconnects, and finishes of runs whose agents ended meanwhile.
  await waitFor(() => /could not store a log batch/.test(server.output()), { what: "a log batch to fail", timeoutMs: 30_000 });
  await waitFor(() => /record that a worker disconnected: the database is unavailable/.test(server.output()), {
    what: "a disconnect to wait for the database",
    timeoutMs: 30_000,
  });
  await waitFor(() => /could not record a run's finish|holding back a run's finish/.test(server.output()), {
    what: "an agent to end and its finish to wait",
    timeoutMs: 30_000,
  });
  expect(server.child.exitCode, server.output()).toBeNull();
  expect((await readyz(server)).status).toBe(503);

  await outage.end(server);

  await waitFor(async () => (await readyz(server)).status === 200, { what: "/readyz to recover", timeoutMs: 30_000 });
  expect((await health.check({})).status).toBe(Serving.SERVING);
  const finished = await waitFor(
    async () => {
      const runs = await Promise.all(created.map(async (id) => (await api.getRun({ id })).run!));
      return runs.every((r) => r.finishTime) ? runs : undefined;
    },
    { what: "every run to finish after the outage", timeoutMs: 60_000 },
  );
  const check = await checkRuns(api, finished as Run[], marks);
  expect(check.violations, server.output()).toEqual([]);
  expect(finished.map((r) => [RunStatus[r.status], r.attempt])).toEqual(finished.map(() => ["SUCCEEDED", 1]));
  await waitFor(async () => (await fleet.listWorkers({})).workers.find((w) => w.name === "dropped")?.state === WorkerState.ONLINE, {
    what: "the dropped worker to be back",
  });
  expect((await fleet.listWorkers({ includeOffline: true })).workers.find((w) => w.name === "idle")?.state).toBe(WorkerState.OFFLINE);
  expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^flightcontrol_unhandled_rejections_total 0$/m);
  expect(server.child.exitCode, server.output()).toBeNull();
}

// The SQLite and the Postgres scenario run at the same time (each its own server, workers, proxy
// and database; mostly waiting for agents to print and for the outage to show): 26 -> 15-17 s.
describe.concurrent("a database outage under load", () => {
  it("SQLite: writes fail at the operating system (file size limit: SQLITE_IOERR_WRITE), then succeed again", async (t) => {
    // RLIMIT_FSIZE makes every write past the limit fail (EFBIG) in the server process alone, with
    // no privileges, as a full or failing disk does; it is lowered and raised on the running process.
    // The launcher ignores SIGXFSZ, which would otherwise kill the process at the first such write
    // (an ignored disposition survives exec, and node keeps it).
    const limit = (server: ServerProcess, soft: string) => execFileSync("prlimit", ["--pid", String(server.child.pid), `--fsize=${soft}:unlimited`]);
    await scenario(t, { begin: async (s) => void limit(s, "1"), end: async (s) => void limit(s, "unlimited") }, {}, [
      "sh",
      "-c",
      'trap "" XFSZ; exec "$@"',
      "sh",
    ]);
  }, 180_000);

  describe.skipIf(!havePostgres)("Postgres", () => {
    let cluster: TempCluster | undefined;
    afterAll(async () => cluster?.destroy());

    it("the database server is stopped (its sessions terminated) and started again", async (t) => {
      cluster = new TempCluster();
      await cluster.start();
      await cluster.createDatabase("fc_outage");
      await scenario(t, { begin: () => cluster!.pause(), end: () => cluster!.resume() }, { ORCH_DATABASE_URL: cluster.url("fc_outage") });
    }, 240_000);
  });
});
