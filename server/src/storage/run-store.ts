import type { FindOptionsWhere } from "typeorm";
import type { Database } from "./data-source";
import { JobRunEntity, type JobRunRow, type RunStatusColumn } from "./entities";
import type { Sql } from "./sql";

export interface RunFilter {
  workspaceId: string;
  jobId?: string;
  statuses?: RunStatusColumn[];
  workerId?: string;
  scheduleId?: string;
  /** Follow-ups of this run. */
  parentRunId?: string;
  labels?: Record<string, string>;
  /** Runs with ids below this (newer-first pagination). */
  beforeId?: string;
  limit: number;
  /** Read the spec too; without it the rows come without `spec` (see RunListRow). */
  withSpec?: boolean;
}

/** A run as lists read it: `spec` only when asked for, since it may be hundreds of KiB. */
export type RunListRow = Omit<JobRunRow, "spec"> & { spec?: string };

export interface QueuedRun {
  id: string;
  workspace_id: string;
  agent: string;
  required_labels: string;
  /** JobSpec.network (null when the spec leaves it empty): "none" runs go only to sandboxing workers. */
  network: string | null;
}

/** Runs per status; pg returns COUNT as a string. */
export interface StatusCount {
  status: RunStatusColumn;
  n: number | string;
}

export interface FinishFields {
  status: RunStatusColumn;
  exitCode: number | null;
  error: string;
  result: string;
  usage: string;
  /** RunChanges as protobuf JSON, or "". */
  changes: string;
  lastSeq: number;
  /** The agent's own session id, or "". */
  agentSessionId: string;
}

/** The first key of the claim locks (lockClaims), so they cannot collide with other advisory locks on the database. */
const CLAIM_LOCKS = 0x46430001;

/**
 * The per-run hot path (insert, read by id, claim, start) is plain prepared SQL whose column list
 * and conversions come from the entity's metadata, so it cannot drift from the schema; list
 * queries go through TypeORM. Every state change is one guarded UPDATE whose WHERE names the state
 * (and, for worker reports, the worker and attempt) it expects, so a late, duplicate or foreign
 * message changes nothing.
 */
export function createRunStore(db: Database, sql: Sql) {
  const repo = db.dataSource.getRepository(JobRunEntity);
  const skipLocked = sql.dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
  const { columns, select, selectWithoutSpec, fromSql } = rowMapping(db);
  const insertSql = `INSERT INTO job_runs (${columns.map((c) => c.databaseName).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;
  const get = async (id: string, via: Sql = sql) => {
    const r = await via.get<Record<string, unknown>>(`SELECT ${select} FROM job_runs WHERE id = ?`, [id]);
    return r ? fromSql(r) : null;
  };
  const getIn = async (workspaceId: string, id: string) => {
    const r = await sql.get<Record<string, unknown>>(`SELECT ${select} FROM job_runs WHERE id = ? AND workspace_id = ?`, [id, workspaceId]);
    return r ? fromSql(r) : null;
  };
  const getWithoutSpec = async (id: string): Promise<RunListRow | null> => {
    const r = await sql.get<Record<string, unknown>>(`SELECT ${selectWithoutSpec} FROM job_runs WHERE id = ?`, [id]);
    return r ? fromSql<RunListRow>(r) : null;
  };
  const countActive = async (workspaceId: string, via: Sql = sql) =>
    Number(
      (
        await via.get<{ n: number | string }>("SELECT COUNT(*) AS n FROM job_runs WHERE workspace_id = ? AND status IN ('assigned', 'running')", [
          workspaceId,
        ])
      )?.n ?? 0,
    );
  const listColumns = columns.filter((c) => c.propertyName !== "spec").map((c) => `r.${c.propertyName}`);

  // Every live stream re-reads a run when it changes; reads of the same run in the same tick share
  // one query, so a hundred open dashboards cost one read per change, not a hundred.
  const inTick = { full: new Map<string, Promise<JobRunRow | null>>(), basic: new Map<string, Promise<RunListRow | null>>() };
  function shared<R>(cache: Map<string, Promise<R>>, id: string, read: (id: string) => Promise<R>): Promise<R> {
    let p = cache.get(id);
    if (!p) {
      if (!cache.size) setImmediate(() => cache.clear());
      cache.set(id, (p = read(id)));
    }
    return p;
  }

  return {
    insert: async (row: JobRunRow) =>
      void (await sql.run(
        insertSql,
        columns.map((c) => row[c.propertyName as keyof JobRunRow]),
      )),
    /** By id alone: for the worker session and the dispatcher, whose run ids come from a workspace's own queue. */
    get,
    /** The run if it belongs to the workspace: what every RPC reads. */
    getIn,
    /** get without the spec column: for views that leave it out. */
    getWithoutSpec,
    /** A read of the run for a live stream: concurrent readers in the same tick share it. Do not mutate. */
    getShared: (id: string): Promise<JobRunRow | null> => shared(inTick.full, id, get),
    /** getShared without the spec, for streams that send runs without it. Do not mutate. */
    getSharedWithoutSpec: (id: string): Promise<RunListRow | null> => shared(inTick.basic, id, getWithoutSpec),

    /** Newest first; the spec column is not even read unless `withSpec`. */
    async list(f: RunFilter): Promise<RunListRow[]> {
      const qb = repo.createQueryBuilder("r").where("r.workspaceId = :ws", { ws: f.workspaceId }).orderBy("r.id", "DESC").limit(f.limit);
      if (!f.withSpec) qb.select(listColumns);
      if (f.jobId) qb.andWhere("r.jobId = :jobId", { jobId: f.jobId });
      if (f.workerId) qb.andWhere("r.workerId = :workerId", { workerId: f.workerId });
      if (f.scheduleId) qb.andWhere("r.scheduleId = :scheduleId", { scheduleId: f.scheduleId });
      if (f.parentRunId) qb.andWhere("r.parentRunId = :parentRunId", { parentRunId: f.parentRunId });
      if (f.statuses?.length) qb.andWhere("r.status IN (:...statuses)", { statuses: f.statuses });
      if (f.beforeId) qb.andWhere("r.id < :beforeId", { beforeId: f.beforeId });
      // Labels are a JSON object; a substring search for the exact "key":"value" pair is index-free
      // but exact and case-sensitive on both dialects (SQLite's LIKE would ignore case), since keys
      // and values are JSON-encoded the same way on write.
      const contains = sql.dialect === "postgres" ? "strpos" : "instr";
      Object.entries(f.labels ?? {}).forEach(([k, v], i) => {
        qb.andWhere(`${contains}(r.labels, :l${i}) > 0`, { [`l${i}`]: `${JSON.stringify(k)}:${JSON.stringify(v)}` });
      });
      return qb.getMany();
    },

    /** Priorities that have queued runs, highest first (an index-only scan). */
    queuedPriorities: async () =>
      (await sql.all<{ priority: number }>("SELECT DISTINCT priority FROM job_runs WHERE status = 'queued' ORDER BY priority DESC")).map((r) =>
        Number(r.priority),
      ),

    /** Queued runs of one priority that may be dispatched now, oldest first, after a given id (keyset paging on idx_job_runs_queue). */
    queued: (now: number, priority: number, afterId: string, limit: number) =>
      sql.all<QueuedRun>(
        `SELECT id, workspace_id, agent, required_labels, ${sql.dialect === "postgres" ? "spec::json ->> 'network'" : "json_extract(spec, '$.network')"} AS network FROM job_runs WHERE status = 'queued' AND priority = ? AND id > ? AND available_at <= ? ORDER BY id LIMIT ?`,
        [priority, afterId, now, limit],
      ),

    nextAvailableAt: async (now: number) =>
      (
        await sql.get<{ t: number | string | null }>("SELECT MIN(available_at) AS t FROM job_runs WHERE status = 'queued' AND available_at > ?", [
          now,
        ])
      )?.t,

    /** Runs fn in one transaction; pass the Sql it gets to the store's methods (group commit of a dispatch pass). */
    transaction: <T>(fn: (tx: Sql) => Promise<T>) => sql.transaction(fn),

    /** The atomic claim: exactly one caller moves a queued run to assigned, and gets the claimed row back. */
    claim: async (id: string, workerId: string, workerName: string, now: number, via: Sql = sql) => {
      const [r] = await via.all<Record<string, unknown>>(
        `UPDATE job_runs SET status = 'assigned', worker_id = ?, worker_name = ?, assigned_at = ?, updated_at = ? WHERE id = (SELECT id FROM job_runs WHERE id = ? AND status = 'queued'${skipLocked}) RETURNING ${select}`,
        [workerId, workerName, now, now, id],
      );
      return r ? fromSql(r) : undefined;
    },

    /**
     * For a dispatch pass's transaction, before it claims runs of workspaces with a
     * max_concurrent_runs: every other claim of those workspaces' runs, on any replica, waits until
     * this transaction ends, and their assigned+running counts are returned, which stay exact (or
     * only fall, as runs finish) until then. So the limit holds across replicas. Postgres: an
     * advisory lock per workspace, taken in id order so that two replicas cannot deadlock on them.
     * SQLite: the transaction (BEGIN IMMEDIATE) already excludes every other writer.
     */
    lockClaims: async (workspaceIds: string[], via: Sql): Promise<Map<string, number>> => {
      const ids = [...new Set(workspaceIds)].sort();
      if (via.dialect === "postgres") {
        for (const id of ids) await via.get("SELECT pg_advisory_xact_lock(?, hashtext(?))", [CLAIM_LOCKS, id]);
      }
      // Counted after the locks: on Postgres each statement sees what committed before it started.
      const active = new Map<string, number>();
      for (const id of ids) active.set(id, await countActive(id, via));
      return active;
    },

    /** Undoes a claim whose Assign could not be delivered; the attempt is not spent. */
    unclaim: async (id: string, workerId: string, now: number) =>
      (await sql.run(
        "UPDATE job_runs SET status = 'queued', worker_id = NULL, worker_name = NULL, assigned_at = NULL, updated_at = ? WHERE id = ? AND status = 'assigned' AND worker_id = ?",
        [now, id, workerId],
      )) === 1,

    /** What the caller needs of a run this call started; undefined when the run had moved on. */
    markStarted: async (id: string, workerId: string, attempt: number, now: number) => {
      const [r] = await sql.all<{ deadline_at: number | string; cancel_requested: number | boolean; error: string }>(
        "UPDATE job_runs SET status = 'running', started_at = ?, deadline_at = CAST(? AS BIGINT) + timeout_seconds * 1000, updated_at = ? WHERE id = ? AND status = 'assigned' AND worker_id = ? AND attempt = ? RETURNING deadline_at, cancel_requested, error",
        [now, now, now, id, workerId, attempt],
      );
      return r ? { deadlineAt: Number(r.deadline_at), cancelRequested: Boolean(r.cancel_requested), error: r.error } : undefined;
    },

    finish: async (id: string, workerId: string, attempt: number, f: FinishFields, now: number) =>
      (await sql.run(
        "UPDATE job_runs SET status = ?, exit_code = ?, error = ?, result = ?, usage = ?, changes = ?, agent_session_id = ?, last_seq = CASE WHEN last_seq > ? THEN last_seq ELSE ? END, finished_at = ?, updated_at = ? WHERE id = ? AND status IN ('assigned', 'running') AND worker_id = ? AND attempt = ?",
        [f.status, f.exitCode, f.error, f.result, f.usage, f.changes, f.agentSessionId, f.lastSeq, f.lastSeq, now, now, id, workerId, attempt],
      )) === 1,

    /** Ends a held run from the server's side (lost worker with no attempts left, server-enforced deadline). */
    forceFinish: async (id: string, attempt: number, status: RunStatusColumn, error: string, now: number) =>
      (await sql.run(
        "UPDATE job_runs SET status = ?, error = ?, finished_at = ?, updated_at = ? WHERE id = ? AND status IN ('assigned', 'running') AND attempt = ?",
        [status, error, now, now, id, attempt],
      )) === 1,

    /** Puts a held attempt back in the queue as the next attempt. */
    requeue: async (id: string, attempt: number, availableAt: number, error: string, now: number) =>
      (await sql.run(
        "UPDATE job_runs SET status = 'queued', attempt = attempt + 1, worker_id = NULL, worker_name = NULL, assigned_at = NULL, started_at = NULL, deadline_at = NULL, exit_code = NULL, error = ?, available_at = ?, updated_at = ? WHERE id = ? AND attempt = ? AND status IN ('assigned', 'running')",
        [error, availableAt, now, id, attempt],
      )) === 1,

    cancelQueued: async (id: string, reason: string, now: number) =>
      (await sql.run(
        "UPDATE job_runs SET status = 'cancelled', cancel_requested = ?, error = ?, finished_at = ?, updated_at = ? WHERE id = ? AND status = 'queued'",
        [true, reason, now, now, id],
      )) === 1,

    markCancelRequested: async (id: string, reason: string, now: number) =>
      (await sql.run("UPDATE job_runs SET cancel_requested = ?, error = ?, updated_at = ? WHERE id = ? AND status IN ('assigned', 'running')", [
        true,
        reason,
        now,
        id,
      ])) === 1,

    /** Moves last_seq up to seq (never down); part of a log batch's transaction when via is given. */
    advanceLastSeq: (id: string, seq: number, via: Sql = sql) =>
      via.run("UPDATE job_runs SET last_seq = ? WHERE id = ? AND last_seq < ?", [seq, id, seq]),

    /** Runs a worker holds, or every held run when no worker is given (startup recovery). */
    held: (workerId?: string) =>
      repo.find({
        where: workerId
          ? [
              { workerId, status: "assigned" },
              { workerId, status: "running" },
            ]
          : ([{ status: "assigned" }, { status: "running" }] as FindOptionsWhere<JobRunRow>[]),
      }),

    /**
     * Whether a follow-up of `parentRunId` is held (assigned or running) by a worker that connected
     * with API key `apiKeyId`: what lets a worker key download that parent's artifacts.
     */
    followUpHeldByKey: async (parentRunId: string, apiKeyId: string): Promise<boolean> =>
      (await sql.get(
        "SELECT r.id FROM job_runs r JOIN workers w ON w.id = r.worker_id WHERE r.parent_run_id = ? AND r.status IN ('assigned', 'running') AND w.api_key_id = ? LIMIT 1",
        [parentRunId, apiKeyId],
      )) !== undefined,

    /** Queued runs of a workspace (its max_queued_runs). */
    countQueued: async (workspaceId: string) =>
      Number(
        (await sql.get<{ n: number | string }>("SELECT COUNT(*) AS n FROM job_runs WHERE workspace_id = ? AND status = 'queued'", [workspaceId]))
          ?.n ?? 0,
      ),

    /** Assigned or running runs of a workspace (its max_concurrent_runs). */
    countActive,

    /** Across the install, by workspace: the instance's metrics (observability/metrics.ts), which only the metrics token reads. */
    countAllByStatus: () =>
      sql.all<StatusCount & { workspace_id: string }>("SELECT workspace_id, status, COUNT(*) AS n FROM job_runs GROUP BY workspace_id, status"),

    countByStatus: (workspaceId: string) =>
      sql.all<StatusCount>("SELECT status, COUNT(*) AS n FROM job_runs WHERE workspace_id = ? GROUP BY status", [workspaceId]),

    windowCounts: (workspaceId: string, since: number) =>
      sql.all<StatusCount>("SELECT status, COUNT(*) AS n FROM job_runs WHERE workspace_id = ? AND finished_at >= ? GROUP BY status", [
        workspaceId,
        since,
      ]),

    createdSince: async (workspaceId: string, since: number) =>
      Number(
        (
          await sql.get<{ n: number | string }>("SELECT COUNT(*) AS n FROM job_runs WHERE workspace_id = ? AND id >= ? ", [
            workspaceId,
            idFloor(since),
          ])
        )?.n ?? 0,
      ),
  };
}

/**
 * The entity's columns as `db_name AS "propertyName"` plus a converter for what the drivers return
 * raw: pg gives int8 as strings (the columns' transformers), SQLite gives booleans as 0/1.
 */
function rowMapping(db: Database) {
  const columns = db.dataSource.getMetadata(JobRunEntity).columns;
  const as = (cs: typeof columns) => cs.map((c) => `${c.databaseName} AS "${c.propertyName}"`).join(", ");
  const select = as(columns);
  const selectWithoutSpec = as(columns.filter((c) => c.propertyName !== "spec"));
  const convert = columns.flatMap((c) => {
    const name = c.propertyName;
    if (c.transformer && !Array.isArray(c.transformer)) {
      const t = c.transformer;
      return [(r: Record<string, unknown>) => void (r[name] = t.from(r[name]))];
    }
    if (c.type === "boolean") return [(r: Record<string, unknown>) => void (r[name] = Boolean(r[name]))];
    return [];
  });
  const fromSql = <R = JobRunRow>(r: Record<string, unknown>): R => {
    for (const f of convert) f(r);
    return r as unknown as R;
  };
  return { columns, select, selectWithoutSpec, fromSql };
}

/** The smallest UUIDv7 of a millisecond: created_at comparisons through the primary key index. */
function idFloor(ms: number): string {
  const hex = ms.toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

export type RunStore = ReturnType<typeof createRunStore>;
