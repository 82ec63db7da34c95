import { LessThanOrEqual } from "typeorm";
import { notFound } from "../domain/errors";
import { isForeignKeyViolation } from "./constraints";
import type { Database } from "./data-source";
import { ScheduleEntity, type ScheduleRow } from "./entities";
import type { Sql } from "./sql";

/** The definition fields an update may change; firing state is written only by the scheduler's claims. */
export type ScheduleDefinition = Partial<
  Pick<ScheduleRow, "name" | "cron" | "timeZone" | "misfirePolicy" | "overlapPolicy" | "nextRunAt" | "updatedAt" | "parameters">
>;

/**
 * Schedules, read and changed within their workspace; the scheduler's own firing queries (due,
 * earliest, claim, recordRun) span every workspace, each firing creating its run in the schedule's.
 * Reads go through TypeORM; everything that moves `next_run_at` is one guarded UPDATE,
 * so an RPC and a firing (or two replicas' firings) never overwrite each other's state.
 */
export function createScheduleStore(db: Database, sql: Sql) {
  const repo = db.dataSource.getRepository(ScheduleEntity);
  const num = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));

  return {
    /** NotFound naming the job if it does not exist (or was deleted mid-request). */
    async insert(row: ScheduleRow): Promise<void> {
      try {
        await repo.insert(row);
      } catch (err) {
        if (isForeignKeyViolation(err)) throw notFound("job", row.jobId);
        throw err;
      }
    },
    get: (workspaceId: string, id: string) => repo.findOneBy({ id, workspaceId }),
    list: (workspaceId: string, jobId?: string) =>
      repo.find({ where: jobId ? { jobId, workspaceId } : { workspaceId }, order: { name: "ASC", id: "ASC" } }),
    remove: async (workspaceId: string, id: string) => ((await repo.delete({ id, workspaceId })).affected ?? 0) > 0,

    /** Changes definition fields only; returns false if the schedule is gone. */
    update: async (workspaceId: string, id: string, patch: ScheduleDefinition) => ((await repo.update({ id, workspaceId }, patch)).affected ?? 0) > 0,

    pause: (workspaceId: string, id: string, now: number) =>
      sql.run("UPDATE schedules SET paused = ?, next_run_at = NULL, updated_at = ? WHERE id = ? AND workspace_id = ?", [true, now, id, workspaceId]),

    /** Unpauses with a fresh next time; a schedule that was not paused keeps its own. */
    resume: (workspaceId: string, id: string, next: number | null, now: number) =>
      sql.run("UPDATE schedules SET paused = ?, next_run_at = ?, updated_at = ? WHERE id = ? AND workspace_id = ? AND paused = ?", [
        false,
        next,
        now,
        id,
        workspaceId,
        true,
      ]),

    /** Active schedules whose next firing is at or before `now`, oldest firing first. */
    due: (now: number, limit: number) =>
      repo.find({ where: { paused: false, nextRunAt: LessThanOrEqual(now) }, order: { nextRunAt: "ASC", id: "ASC" }, take: limit }),

    /** The earliest next firing of any active schedule, to arm the one timer for. */
    earliest: async () =>
      num(
        (
          await sql.get<{ t: number | string | null }>("SELECT MIN(next_run_at) AS t FROM schedules WHERE paused = ? AND next_run_at IS NOT NULL", [
            false,
          ])
        )?.t,
      ),

    /**
     * The claim: exactly one caller (this loop, a restarted one, another replica) moves a firing
     * from `due` to `next`. `lastRunAt` is set only when the firing creates a run.
     */
    claim: async (id: string, due: number, next: number | null, lastRunAt: number | null) =>
      (await sql.run("UPDATE schedules SET next_run_at = ?, last_run_at = COALESCE(?, last_run_at) WHERE id = ? AND next_run_at = ? AND paused = ?", [
        next,
        lastRunAt,
        id,
        due,
        false,
      ])) === 1,

    /** Records the run a claimed firing created, unless a later firing has claimed the schedule since. */
    recordRun: (id: string, lastRunAt: number, runId: string) =>
      sql.run("UPDATE schedules SET last_run_id = ? WHERE id = ? AND last_run_at = ?", [runId, id, lastRunAt]),
  };
}

export type ScheduleStore = ReturnType<typeof createScheduleStore>;
