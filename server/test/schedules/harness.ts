import { DEFAULT_WORKSPACE_ID } from "../../src/storage/entities";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { pino } from "pino";
import { createRegistry } from "../../src/domain/dispatch/registry";
import { createEventBus } from "../../src/domain/events";
import { newId } from "../../src/domain/ids";
import { JobSpecSchema } from "../../src/gen/flightcontrol/v1/spec_pb";
import { createLifecycle, type Lifecycle } from "../../src/domain/runs/lifecycle";
import { nextAfter } from "../../src/domain/schedules/cron";
import type { MisfireColumn, OverlapColumn } from "../../src/domain/schedules/policies";
import { createScheduler, type SchedulerDeps } from "../../src/domain/schedules/scheduler";
import { specToJson } from "../../src/storage/codecs";
import { openDatabase } from "../../src/storage/data-source";
import { JobDefinitionEntity, type ScheduleRow } from "../../src/storage/entities";
import { createJobStore } from "../../src/storage/job-store";
import { createRunStore, type RunListRow } from "../../src/storage/run-store";
import { createScheduleStore } from "../../src/storage/schedule-store";
import { createSql } from "../../src/storage/sql";

export const at = (iso: string) => new Date(iso).getTime();
export const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

import type { FakeClock } from "../../../testkit/fake-clock";
export { fakeClock, type FakeClock } from "../../../testkit/fake-clock";

const silent = pino({ level: process.env.ORCH_TEST_LOG ?? "silent" });

/**
 * The scheduler's world without the RPC server: a real SQLite file (migrated like the server's),
 * run store and lifecycle. Several envs may open the same file, as replicas would.
 */
export async function openEnv(file?: string) {
  const dir = file ? undefined : mkdtempSync(join(tmpdir(), "fc-sched-"));
  const path = file ?? join(dir!, "fc.db");
  const db = await openDatabase(`sqlite:${path}`);
  const sql = createSql(db);
  const runs = createRunStore(db, sql);
  const events = createEventBus();
  const registry = createRegistry();
  const lifecycle = createLifecycle({
    runs,
    events,
    assertRunCredentials: async () => {},
    resolveSkills: async () => [],
    defaultTimeoutSeconds: 3600,
  });
  const store = createScheduleStore(db, sql);
  const jobStore = createJobStore(db);
  const jobs = db.dataSource.getRepository(JobDefinitionEntity);
  let kicks = 0;
  const schedulers: Array<{ stop(): Promise<void> }> = [];

  return {
    path,
    db,
    sql,
    runs,
    events,
    registry,
    lifecycle,
    store,
    get kicks() {
      return kicks;
    },

    /** A scheduler on this connection; its passes are awaited by the clock. */
    scheduler(clock: FakeClock, over: Partial<SchedulerDeps> & { lifecycle?: Pick<Lifecycle, "createRun"> } = {}) {
      const s = createScheduler({ store, jobs: jobStore, runs, lifecycle, registry, events, log: silent, kick: () => kicks++, clock, ...over });
      clock.settles.push(s.settled);
      schedulers.push(s);
      return s;
    },

    async job(name = `job-${newId()}`) {
      const now = Date.now();
      const spec = create(JobSpecSchema, { agent: "shell", prompt: "echo tick", requiredLabels: { pool: "nowhere" } });
      await jobs.insert({ id: newId(), name, description: "", spec: specToJson(spec), createdAt: now, updatedAt: now });
      return (await jobs.findOneByOrFail({ name })).id;
    },

    /** Inserts a schedule as CreateSchedule would, with its first firing after `now`. */
    async schedule(
      jobId: string,
      now: number,
      o: { cron: string; timeZone?: string; misfire?: MisfireColumn; overlap?: OverlapColumn; name?: string },
    ) {
      const timeZone = o.timeZone ?? "UTC";
      const row: ScheduleRow = {
        id: newId(),
        jobId,
        name: o.name ?? "test schedule",
        cron: o.cron,
        timeZone,
        paused: false,
        misfirePolicy: o.misfire ?? "skip",
        overlapPolicy: o.overlap ?? "allow",
        nextRunAt: nextAfter(o.cron, timeZone, now),
        lastRunAt: null,
        lastRunId: null,
        parameters: "{}",
        workspaceId: DEFAULT_WORKSPACE_ID,
        createdAt: now,
        updatedAt: now,
      };
      await store.insert(row);
      return row.id;
    },

    /** Runs the schedule created, oldest first. */
    async runsOf(scheduleId: string): Promise<RunListRow[]> {
      return (await runs.list({ workspaceId: DEFAULT_WORKSPACE_ID, scheduleId, limit: 10_000 })).reverse();
    },

    /** The due times of the schedule's runs, as the runs record them. */
    async fired(scheduleId: string): Promise<string[]> {
      return (await this.runsOf(scheduleId)).map((r) => JSON.parse(r.labels).scheduled_time);
    },

    async close() {
      for (const s of schedulers) await s.stop();
      await db.dataSource.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type Env = Awaited<ReturnType<typeof openEnv>>;
