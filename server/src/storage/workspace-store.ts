import { alreadyExists } from "../domain/errors";
import { isUniqueViolation, uniquely } from "./constraints";
import type { Database } from "./data-source";
import { WorkspaceEntity, WorkspaceMemberEntity, type WorkspaceMemberRow, type WorkspaceRow } from "./entities";

/** What a workspace holds, by kind: DeleteWorkspace without cascade refuses a workspace holding any. */
export interface WorkspaceContents {
  jobs: number;
  runs: number;
  credentials: number;
  schedules: number;
  skills: number;
  workers: number;
  activeApiKeys: number;
}

/** Tables whose rows belong to a workspace by their workspace_id, in the order a cascade deletes them. */
const OWNED = ["schedules", "job_definitions", "credentials", "skills", "workers"];

/** Workspaces and their members. Names are unique across the install: a clash is AlreadyExists. */
export function createWorkspaceStore(db: Database) {
  const ds = db.dataSource;
  const repo = ds.getRepository(WorkspaceEntity);
  const members = ds.getRepository(WorkspaceMemberEntity);
  const clash = (name: string) => `a workspace named "${name}"`;
  const count = async (query: string, id: string) => Number((await ds.query(param(query), [id]))[0]?.n ?? 0);
  const param = (query: string) => (db.dialect === "postgres" ? query.replace("?", "$1") : query);

  return {
    get: (id: string): Promise<WorkspaceRow | null> => repo.findOneBy({ id }),
    exists: (id: string): Promise<boolean> => repo.existsBy({ id }),
    /** In name order. */
    list: (): Promise<WorkspaceRow[]> => repo.find({ order: { name: "ASC" } }),
    insert: async (row: WorkspaceRow): Promise<void> => void (await uniquely(clash(row.name), () => repo.insert(row))),
    /** Writes the given fields; false if the workspace is gone. */
    update: async (id: string, patch: Partial<Pick<WorkspaceRow, "name" | "maxConcurrentRuns" | "maxQueuedRuns" | "updatedAt">>): Promise<boolean> =>
      ((await uniquely(clash(patch.name ?? ""), () => repo.update({ id }, patch))).affected ?? 0) > 0,

    async contents(id: string): Promise<WorkspaceContents> {
      const n = (table: string, extra = "") => count(`SELECT COUNT(*) AS n FROM ${table} WHERE workspace_id = ?${extra}`, id);
      return {
        jobs: await n("job_definitions"),
        runs: await n("job_runs"),
        credentials: await n("credentials"),
        schedules: await n("schedules"),
        skills: await n("skills"),
        workers: await n("workers"),
        activeApiKeys: await n("api_keys", " AND revoked_at IS NULL"),
      };
    },

    /**
     * Deletes the workspace and, in the same transaction, everything in it: runs with their logs,
     * events and artifact rows (artifact_ids returns the ids, whose blobs the caller deletes), jobs,
     * schedules, credentials, skills (their versions and files by foreign key), worker records and
     * members. API keys are left for the caller, which revokes them (so every replica ends their
     * streams) rather than deleting them. False if the workspace was not there.
     */
    async removeWithContents(id: string): Promise<{ removed: boolean; artifactIds: string[] }> {
      return ds.transaction(async (m) => {
        const q = (query: string) => m.query(param(query), [id]);
        const runs = "SELECT id FROM job_runs WHERE workspace_id = ?";
        const artifactIds = ((await q(`SELECT id FROM artifacts WHERE run_id IN (${runs})`)) as Array<{ id: string }>).map((r) => r.id);
        for (const table of ["artifacts", "job_logs", "run_events"]) await q(`DELETE FROM ${table} WHERE run_id IN (${runs})`);
        await q("DELETE FROM job_runs WHERE workspace_id = ?");
        for (const table of OWNED) await q(`DELETE FROM ${table} WHERE workspace_id = ?`);
        const removed = ((await m.getRepository(WorkspaceEntity).delete({ id })).affected ?? 0) > 0;
        return { removed, artifactIds };
      });
    },

    /** Deletes an empty workspace (members go with it, by foreign key); false if it was not there. */
    remove: async (id: string): Promise<boolean> => ((await repo.delete({ id })).affected ?? 0) > 0,

    member: (workspaceId: string, email: string): Promise<WorkspaceMemberRow | null> => members.findOneBy({ workspaceId, email }),
    /** In email order. */
    members: (workspaceId: string): Promise<WorkspaceMemberRow[]> => members.find({ where: { workspaceId }, order: { email: "ASC" } }),
    /** AlreadyExists if the person is a member already. */
    async addMember(row: WorkspaceMemberRow): Promise<void> {
      try {
        await members.insert(row);
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyExists(`${row.email} is already a member of this workspace; change their role with UpdateMember`);
        throw err;
      }
    },
    /** False if there is no such member. */
    setMemberRole: async (workspaceId: string, email: string, role: string): Promise<boolean> =>
      ((await members.update({ workspaceId, email }, { role })).affected ?? 0) > 0,
    removeMember: async (workspaceId: string, email: string): Promise<boolean> => ((await members.delete({ workspaceId, email })).affected ?? 0) > 0,
  };
}

export type WorkspaceStore = ReturnType<typeof createWorkspaceStore>;
