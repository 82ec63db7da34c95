import type { Database } from "./data-source";
import { uniquely } from "./constraints";
import { JobDefinitionEntity, type JobDefinitionRow } from "./entities";

export interface JobQuery {
  workspaceId: string;
  /** Only jobs whose name contains this, ignoring case. */
  nameContains?: string;
  /** Jobs named after this (keyset paging in name order). */
  afterName?: string;
  limit: number;
  /** Read the spec too; without it the rows come without `spec` (see JobListRow). */
  withSpec?: boolean;
}

/** A job as lists read it: `spec` only when asked for, since it may be hundreds of KiB. */
export type JobListRow = Omit<JobDefinitionRow, "spec"> & { spec?: string };

/**
 * Job definitions. Names are unique per workspace: a clash is AlreadyExists naming the job. Every
 * read and write names the workspace: a job of another one is not there.
 */
export function createJobStore(db: Database) {
  const repo = db.dataSource.getRepository(JobDefinitionEntity);
  const clash = (name: string) => `a job named "${name}"`;
  const listColumns = repo.metadata.columns.filter((c) => c.propertyName !== "spec").map((c) => `j.${c.propertyName}`);

  return {
    get: (workspaceId: string, id: string): Promise<JobDefinitionRow | null> => repo.findOneBy({ id, workspaceId }),
    exists: (workspaceId: string, id: string): Promise<boolean> => repo.existsBy({ id, workspaceId }),

    /** Jobs in name order; the spec column is not even read unless `withSpec`. */
    async list(q: JobQuery): Promise<JobListRow[]> {
      const qb = repo.createQueryBuilder("j").where("j.workspaceId = :ws", { ws: q.workspaceId }).orderBy("j.name", "ASC").limit(q.limit);
      if (!q.withSpec) qb.select(listColumns);
      if (q.afterName) qb.andWhere("j.name > :after", { after: q.afterName });
      if (q.nameContains) {
        // The search text is literal: LIKE's wildcards in it match themselves.
        const escaped = q.nameContains.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
        qb.andWhere("LOWER(j.name) LIKE :q ESCAPE '\\'", { q: `%${escaped}%` });
      }
      return qb.getMany();
    },

    insert: async (row: JobDefinitionRow): Promise<void> => void (await uniquely(clash(row.name), () => repo.insert(row))),

    /** Writes the row's fields; false if the job is gone. */
    update: async (row: JobDefinitionRow): Promise<boolean> =>
      ((await uniquely(clash(row.name), () => repo.update({ id: row.id, workspaceId: row.workspaceId }, row))).affected ?? 0) > 0,

    /** Deletes the job (its schedules go with it, by foreign key); false if it was not there. */
    remove: async (workspaceId: string, id: string): Promise<boolean> => ((await repo.delete({ id, workspaceId })).affected ?? 0) > 0,
  };
}

export type JobStore = ReturnType<typeof createJobStore>;
