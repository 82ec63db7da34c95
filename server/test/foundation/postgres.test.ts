import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { SystemService } from "../../src/gen/flightcontrol/v1/system_pb";
import { openDatabase } from "../../src/storage/data-source";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { havePostgres, TempCluster } from "../../../testkit/postgres";
import { refusedUnchanged, spec } from "./helpers";
import { checkSpecSummaryBackfill } from "../support/spec-summary-backfill";

const TABLES = ["api_keys", "credentials", "job_definitions", "job_logs", "job_runs", "run_events", "schedules", "workers"];

describe("Postgres", () => {
  let cluster: TempCluster | undefined;
  let server: TestServer | undefined;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    if (!havePostgres) return;
    cluster = new TempCluster();
    try {
      await cluster.start();
      await cluster.createDatabase("fc_migrate");
      await cluster.createDatabase("fc_server");
      await cluster.createDatabase("fc_backfill");
    } catch (err) {
      throw new Error(`could not start a temporary Postgres: ${String(err)}\n${cluster.log()}`);
    }
  }, 120_000);
  afterAll(async () => {
    await worker?.kill();
    await server?.cleanup();
    await cluster?.destroy();
  });

  it.skipIf(!havePostgres)("the spec-summary migration backfills jobs and runs stored before it", async () => {
    await checkSpecSummaryBackfill(cluster!.url("fc_backfill"));
  });

  it.skipIf(!havePostgres)("migrations create every table and leave nothing for the schema builder to change", async () => {
    const db = await openDatabase(cluster!.url("fc_migrate"));
    try {
      expect(db.dialect).toBe("postgres");
      const rows: Array<{ tablename: string }> = await db.dataSource.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
      expect(rows.map((r) => r.tablename)).toEqual(expect.arrayContaining(TABLES));
      const pending = await db.dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await db.dataSource.destroy();
    }
    // Running them again on the migrated database is a no-op.
    const again = await openDatabase(cluster!.url("fc_migrate"));
    try {
      expect(await again.dataSource.showMigrations()).toBe(false);
    } finally {
      await again.dataSource.destroy();
    }
  });

  it.skipIf(!havePostgres)("the server runs on it: jobs, snapshots, AlreadyExists, ListRuns filters and pages", async () => {
    server = await startTestServer({ databaseUrl: cluster!.url("fc_server") });
    expect((await client(SystemService, server.url, ADMIN_KEY).getInfo({})).database).toBe("postgres");
    const jobs = client(JobService, server.url, ADMIN_KEY);
    const runs = client(RunService, server.url, ADMIN_KEY);
    const { job } = await jobs.createJob({ name: "pg job", spec: spec({ prompt: "on postgres" }) });
    await refusedUnchanged(server, () => jobs.createJob({ name: "pg job", spec: spec() }), Code.AlreadyExists);
    const created: string[] = [];
    for (let i = 0; i < 7; i++)
      created.push((await jobs.triggerJob({ id: job!.id, labels: { pct: i ? "5_x" : "5%_", env: i === 2 ? "Prod" : "prod" } })).run!.id);
    await jobs.updateJob({ id: job!.id, spec: spec({ prompt: "edited" }) });
    expect((await runs.getRun({ id: created[0] })).run!.spec!.prompt).toBe("on postgres");
    await runs.cancelRun({ id: created[1] });

    const walked: string[] = [];
    let pageToken = "";
    do {
      const page = await runs.listRuns({ jobId: job!.id, pageSize: 3, pageToken });
      walked.push(...page.runs.map((r) => r.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(walked).toEqual([...created].reverse());
    expect((await runs.listRuns({ statuses: [RunStatus.CANCELLED] })).runs.map((r) => r.id)).toEqual([created[1]]);
    expect((await runs.listRuns({ labels: { pct: "5%_" } })).runs.map((r) => r.id)).toEqual([created[0]]);
    expect((await runs.listRuns({ labels: { env: "Prod" } })).runs.map((r) => r.id)).toEqual([created[2]]);
    expect((await jobs.listJobs({ query: "PG_JOB" })).jobs).toEqual([]);
    expect((await jobs.listJobs({ query: "PG JOB" })).jobs.map((j) => j.id)).toEqual([job!.id]);
  });

  it.skipIf(!havePostgres)("dispatches to a real worker: claims, starts, logs, finishes and cancels on Postgres", async () => {
    server ??= await startTestServer({ databaseUrl: cluster!.url("fc_server") });
    worker = startWorker(server.url, { name: "pg-worker", capacity: 4 });
    const runs = client(RunService, server.url, ADMIN_KEY);
    const created = await Promise.all(Array.from({ length: 12 }, (_, i) => runs.createRun({ spec: { agent: "shell", prompt: `echo run-${i}` } })));
    const slow = (await runs.createRun({ spec: { agent: "shell", prompt: "sleep 30" } })).run!;
    const finished = await waitFor(
      async () => {
        const all = await Promise.all(created.map(async (c) => (await runs.getRun({ id: c.run!.id })).run!));
        return all.every((r) => r.finishTime) ? all : undefined;
      },
      { what: "12 runs to finish on Postgres", timeoutMs: 30_000 },
    );
    expect(
      finished.map((r) => r.status),
      worker.output(),
    ).toEqual(finished.map(() => RunStatus.SUCCEEDED));
    const logs = await runs.listRunLogs({ runId: created[3].run!.id });
    expect(logs.items.filter((i) => i.payload.case === "log").map((i) => (i.payload.value as { text: string }).text)).toContain("run-3");
    await waitFor(async () => (await runs.getRun({ id: slow.id })).run!.status === RunStatus.RUNNING, { what: "slow run to start" });
    await runs.cancelRun({ id: slow.id });
    const cancelled = await waitFor(
      async () => {
        const r = (await runs.getRun({ id: slow.id })).run!;
        return r.finishTime ? r : undefined;
      },
      { what: "cancelled run to end" },
    );
    expect(cancelled.status).toBe(RunStatus.CANCELLED);
  });
});
