/**
 * max_concurrent_runs is the workspace's, not each server's: two replicas on one Postgres database,
 * each with workers that could take every run, dispatch a burst of runs at the same moment and
 * must together never hold more of the workspace's runs than its limit.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkspaceService } from "../../src/gen/flightcontrol/v1/workspace_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { havePostgres, TempCluster } from "../../../testkit/postgres";
import { tempDir, removeDir } from "../../../testkit/temp-dir";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { handWorker, hello, type WorkerSession } from "../../../testkit/worker-session";

const LIMIT = 3;
const RUNS = 30;
/** How long a worker holds each run: long enough that claims of both replicas overlap in it. */
const HOLD_MS = 40;

let cluster: TempCluster | undefined;
const servers: TestServer[] = [];
const workers: WorkerSession[] = [];
const dir = tempDir("fc-limits-replicas-");

beforeAll(async () => {
  if (!havePostgres) return;
  cluster = new TempCluster();
  try {
    await cluster.start();
    await cluster.createDatabase("fc_limits");
  } catch (err) {
    throw new Error(`could not start a temporary Postgres: ${String(err)}\n${cluster.log()}`);
  }
  // Two replicas: one database, one data directory (the same master key), each its own dispatcher.
  for (let i = 0; i < 2; i++) servers.push(await startTestServer({ databaseUrl: cluster.url("fc_limits") }, dir));
}, 120_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  for (const s of servers) await s.stop();
  await cluster?.destroy();
  removeDir(dir);
});

/** What a worker saw of one run: from its Assign arriving to its RunFinished being sent. */
interface Held {
  runId: string;
  from: number;
  to: number;
}

/** The most intervals open at one moment. */
function maxOverlap(held: Held[]): number {
  const edges = held.flatMap((h) => [
    { t: h.from, d: 1 },
    { t: h.to, d: -1 },
  ]);
  // At a tie the end goes first: a run finished before the next one was assigned does not overlap it.
  edges.sort((x, y) => x.t - y.t || x.d - y.d);
  let open = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (open += e.d));
  return most;
}

describe("max_concurrent_runs across replicas", () => {
  it.skipIf(!havePostgres)(
    "two servers on one Postgres together never hold more than the limit, and every queued run still runs",
    async () => {
      const [a, b] = servers;
      const { workspace } = await client(WorkspaceService, a.url, ADMIN_KEY).createWorkspace({ name: "shared-limit", maxConcurrentRuns: LIMIT });
      const keys = client(ApiKeyService, a.url, ADMIN_KEY);
      const operator = (await keys.createApiKey({ name: "op", role: Role.OPERATOR, workspaceId: workspace!.id })).key;
      const workerKey = (await keys.createApiKey({ name: "worker", role: Role.WORKER, workspaceId: workspace!.id })).key;

      // Two workers on each replica, each with room for the whole limit: only the limit holds runs back.
      const held: Held[] = [];
      for (const [i, server] of servers.entries()) {
        for (let j = 0; j < 2; j++) {
          const session: WorkerSession = handWorker(server.url, { case: "hello", value: hello(`w${i}-${j}`, { capacity: LIMIT }) }, workerKey, {
            record: false,
            onMessage(res) {
              if (res.message.case !== "assign") return;
              const { runId, attempt } = res.message.value;
              const h = { runId, from: performance.now(), to: Infinity };
              held.push(h);
              setTimeout(() => {
                h.to = performance.now();
                session.send({ case: "runFinished", value: { runId, attempt, status: RunStatus.SUCCEEDED, exitCode: 0, lastSeq: 0n } });
              }, HOLD_MS);
            },
          });
          workers.push(session);
        }
      }
      await vi.waitFor(
        () => {
          for (const s of servers) expect(s.app.registry.sessions.size).toBe(2);
        },
        { timeout: 10_000 },
      );

      // The worst case for the limit: whenever a run ends on either replica, both dispatch at once and
      // race for the freed slot (a replica is otherwise kicked only by its own workers' finishes).
      for (const s of servers) {
        s.app.events.on("runChanged", (_id, status) => {
          if (status === "succeeded") for (const other of servers) other.app.dispatcher.kick();
        });
      }
      // The burst: half through each replica at once, so both dispatch while the other is claiming.
      const created = await Promise.all(
        Array.from({ length: RUNS }, (_, i) =>
          client(RunService, (i % 2 ? b : a).url, operator).createRun({ spec: { prompt: `run ${i}`, agent: "shell" } }),
        ),
      );
      const ids = created.map((c) => c.run!.id);

      await vi.waitFor(
        async () => {
          const [{ n }] = await a.app.db.dataSource.query("SELECT COUNT(*) AS n FROM job_runs WHERE workspace_id = $1 AND status = 'succeeded'", [
            workspace!.id,
          ]);
          expect(Number(n)).toBe(RUNS);
        },
        { timeout: 60_000, interval: 100 },
      );
      expect(new Set(held.map((h) => h.runId))).toEqual(new Set(ids));
      expect(maxOverlap(held), "runs of the workspace held at one moment across both replicas").toBeLessThanOrEqual(LIMIT);
      // Both replicas dispatched: otherwise the test proved nothing about replicas.
      const ran: Array<{ worker_id: string }> = await a.app.db.dataSource.query("SELECT DISTINCT worker_id FROM job_runs WHERE workspace_id = $1", [
        workspace!.id,
      ]);
      for (const s of servers) expect(ran.some((r) => s.app.registry.sessions.has(r.worker_id))).toBe(true);
    },
    90_000,
  );
});
