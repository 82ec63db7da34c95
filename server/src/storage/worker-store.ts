import type { Database } from "./data-source";
import { WorkerEntity, type WorkerRow, type WorkerStateColumn } from "./entities";

/** What a (re)connecting worker states about itself; the id, name and session stay with the row. */
export type WorkerFields = Omit<WorkerRow, "id" | "name" | "sessionTokenHash" | "apiKeyId">;
export type WorkerSessionFields = Pick<WorkerRow, "sessionTokenHash" | "apiKeyId">;

/**
 * The workers table: one row per worker name, kept across reconnects so a worker keeps its id.
 * Names stay unique across the install, since a name is a worker's identity to its sessions
 * (worker-hello.ts); the RPCs see a workspace's workers only, through `inWorkspace` and `list`.
 */
export function createWorkerStore(db: Database) {
  const repo = db.dataSource.getRepository(WorkerEntity);

  return {
    get: (id: string): Promise<WorkerRow | null> => repo.findOneBy({ id }),
    inWorkspace: (workspaceId: string, id: string): Promise<WorkerRow | null> => repo.findOneBy({ id, workspaceId }),
    byName: (name: string): Promise<WorkerRow | null> => repo.findOneBy({ name }),
    /** Every worker of the workspace ever seen, in name order. */
    list: (workspaceId: string): Promise<WorkerRow[]> => repo.find({ where: { workspaceId }, order: { name: "ASC" } }),

    /** Updates the row of this name, or inserts one with newId (and `session`); returns the row as now stored. */
    async upsert(name: string, fields: WorkerFields, newId: string, session: WorkerSessionFields): Promise<WorkerRow> {
      const existing = await repo.findOneBy({ name });
      if (existing) {
        await repo.update({ id: existing.id }, fields);
        return { ...existing, ...fields };
      }
      const row: WorkerRow = { id: newId, name, ...fields, ...session };
      await repo.insert(row);
      return row;
    },

    setSession: async (id: string, session: WorkerSessionFields): Promise<void> => void (await repo.update({ id }, session)),

    setState: async (id: string, state: WorkerStateColumn, now: number): Promise<void> =>
      void (await repo.update({ id }, state === "offline" ? { state, disconnectedAt: now } : { state })),

    /** The session ended: record when the worker was last heard from. */
    setOffline: async (id: string, lastSeen: number, now: number): Promise<void> =>
      void (await repo.update({ id }, { state: "offline", disconnectedAt: now, lastHeartbeatAt: lastSeen })),
  };
}

export type WorkerStore = ReturnType<typeof createWorkerStore>;
