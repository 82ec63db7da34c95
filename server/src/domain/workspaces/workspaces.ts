import { Role } from "../../gen/flightcontrol/v1/api_key_pb";
import { DEFAULT_WORKSPACE_ID, type WorkspaceMemberRow, type WorkspaceRow } from "../../storage/entities";
import type { WorkspaceContents, WorkspaceStore } from "../../storage/workspace-store";
import type { Logger } from "../../logger";
import { failedPrecondition, invalidArgument, notFound, permissionDenied, resourceExhausted } from "../errors";
import { newId } from "../ids";

/**
 * Who is asking, as far as workspaces care: the workspace its key is bound to (null: an
 * instance-admin key or person; a signed-in person is bound to the one the request acts in).
 */
export interface WorkspaceCaller {
  workspaceId: string | null;
  /** A signed-in person who is not instance admin: every workspace they are a member of. */
  memberOf?: readonly string[];
}

export interface WorkspacesDeps {
  store: WorkspaceStore;
  log: Logger;
  /**
   * Revokes every active key of a workspace being deleted (ending their streams), or only the keys
   * `createdBy` made there; returns how many.
   */
  revokeKeysOf: (workspaceId: string, createdBy?: string) => Promise<number>;
  /** Deletes the blobs of a deleted workspace's artifacts; failures are logged, the rows are gone already. */
  deleteBlobs: (ids: string[]) => Promise<void>;
  /** How many of the workspace's runs are queued (for its max_queued_runs). */
  countQueued: (workspaceId: string) => Promise<number>;
}

/** What UpdateWorkspace may change; unset fields keep their value. */
export interface WorkspacePatch {
  name?: string;
  maxConcurrentRuns?: number;
  maxQueuedRuns?: number;
}

/** Limits of a new workspace; 0 is no limit. */
export interface WorkspaceLimits {
  maxConcurrentRuns: number;
  maxQueuedRuns: number;
}

const LIMIT_CACHE_MS = 2_000;

const MEMBER_ROLES = new Set([Role.ADMIN, Role.OPERATOR, Role.VIEWER]);

const describeContents = (c: WorkspaceContents): string =>
  Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind.replace(/[A-Z]/g, (l) => ` ${l.toLowerCase()}`)}`)
    .join(", ");

/**
 * Workspaces: which one a request acts in (`resolve`), and managing them and their members. A
 * workspace the caller may not act in is NotFound, exactly like one that does not exist.
 */
export function createWorkspaces(deps: WorkspacesDeps) {
  const { store } = deps;
  /**
   * Limits by workspace (with its name, for the error naming them), for the dispatcher, which asks
   * on every pass, and CreateRun, which asks on every run: re-read after LIMIT_CACHE_MS, so another
   * replica's change takes effect within that (this one's at once).
   */
  const limits = new Map<string, { name: string; concurrent: number; queued: number; at: number }>();
  async function limitsOf(workspaceId: string) {
    const now = Date.now();
    const hit = limits.get(workspaceId);
    if (hit && now - hit.at < LIMIT_CACHE_MS) return hit;
    const row = await store.get(workspaceId);
    const read = { name: row?.name ?? workspaceId, concurrent: row?.maxConcurrentRuns ?? 0, queued: row?.maxQueuedRuns ?? 0, at: now };
    limits.set(workspaceId, read);
    return read;
  }

  /** The workspace, if the caller may act in it; NotFound otherwise. */
  async function visible(caller: WorkspaceCaller, id: string): Promise<WorkspaceRow> {
    const row = caller.workspaceId === null || caller.workspaceId === id ? await store.get(id) : null;
    if (!row) throw notFound("workspace", id);
    return row;
  }

  const instanceAdminOnly = (caller: WorkspaceCaller, what: string) => {
    if (caller.workspaceId !== null) {
      throw permissionDenied(
        `only an instance admin (a person named by ORCH_ADMIN_EMAILS or the first to sign in, or an API key bound to no workspace such as the bootstrap admin key) may ${what}`,
      );
    }
  };

  /** A person no longer an admin of the workspace: the keys they made there go with their rights. */
  async function revokeKeysMadeBy(workspaceId: string, email: string) {
    const n = await deps.revokeKeysOf(workspaceId, email);
    if (n) deps.log.info({ workspaceId, email, keys: n }, "revoked the API keys a former workspace admin made");
  }

  const checkRole = (role: Role) => {
    if (!MEMBER_ROLES.has(role)) throw invalidArgument("role: a member is ROLE_ADMIN, ROLE_OPERATOR or ROLE_VIEWER");
  };

  return {
    /**
     * The workspace a request acts in. A workspace-bound key: its own; naming another in the header
     * is NotFound for that workspace. An instance-admin key: the one its header names (NotFound if
     * there is none such), or default without the header, so a dashboard or script written before
     * workspaces keeps working unchanged.
     */
    async resolve(caller: WorkspaceCaller, header: string | undefined): Promise<string> {
      const named = header?.trim() || undefined;
      if (caller.workspaceId !== null) {
        if (named && named !== caller.workspaceId) throw notFound("workspace", named);
        return caller.workspaceId;
      }
      if (!named || named === DEFAULT_WORKSPACE_ID) return DEFAULT_WORKSPACE_ID;
      if (!(await store.exists(named))) throw notFound("workspace", named);
      return named;
    },

    async create(caller: WorkspaceCaller, name: string, limits: WorkspaceLimits = { maxConcurrentRuns: 0, maxQueuedRuns: 0 }): Promise<WorkspaceRow> {
      instanceAdminOnly(caller, "create workspaces");
      const now = Date.now();
      const row: WorkspaceRow = { id: newId(now), name, createdAt: now, updatedAt: now, ...limits };
      await store.insert(row);
      return row;
    },

    get: visible,

    /** Every workspace for an instance admin; a person's memberships; a bound key's own. */
    async list(caller: WorkspaceCaller): Promise<WorkspaceRow[]> {
      if (caller.workspaceId === null) return store.list();
      if (caller.memberOf) return (await store.list()).filter((w) => caller.memberOf!.includes(w.id));
      const own = await store.get(caller.workspaceId);
      return own ? [own] : [];
    },

    async update(caller: WorkspaceCaller, id: string, patch: WorkspacePatch): Promise<WorkspaceRow> {
      const row = await visible(caller, id);
      if (patch.maxConcurrentRuns !== undefined || patch.maxQueuedRuns !== undefined) instanceAdminOnly(caller, "change a workspace's limits");
      const changes = { ...patch, updatedAt: Date.now() };
      if (!(await store.update(id, changes))) throw notFound("workspace", id);
      limits.delete(id);
      return { ...row, ...changes };
    },

    /**
     * Refuses a new run while the workspace's queue is full (ResourceExhausted naming the limit).
     * Two runs created at the same moment may both pass: the limit bounds the queue, give or take
     * the requests in flight. The limit comes from the cache, so CreateRun pays one count, not a read of the workspace too.
     */
    async assertQueueRoom(workspaceId: string): Promise<void> {
      const { name, queued } = await limitsOf(workspaceId);
      if (!queued) return;
      if ((await deps.countQueued(workspaceId)) >= queued) {
        throw resourceExhausted(
          `workspace "${name}" already has ${queued} queued runs, its limit (max_queued_runs); wait for some to start or cancel some`,
        );
      }
    },

    /** The workspace's max_concurrent_runs (0: none), for the dispatcher. */
    async concurrencyLimit(workspaceId: string): Promise<number> {
      return (await limitsOf(workspaceId)).concurrent;
    },

    async remove(caller: WorkspaceCaller, id: string, cascade: boolean): Promise<void> {
      await visible(caller, id);
      instanceAdminOnly(caller, "delete workspaces");
      if (id === DEFAULT_WORKSPACE_ID) {
        throw failedPrecondition("the default workspace cannot be deleted: instance-admin requests without x-workspace-id act in it");
      }
      if (!cascade) {
        const held = describeContents(await store.contents(id));
        if (held) throw failedPrecondition(`workspace ${id} still holds ${held}: delete them first, or delete with cascade`);
      }
      // Keys first: once revoked, nothing new can be written into the workspace being emptied.
      const revoked = await deps.revokeKeysOf(id);
      const { removed, artifactIds } = await store.removeWithContents(id);
      if (!removed) throw notFound("workspace", id);
      await deps.deleteBlobs(artifactIds);
      deps.log.info({ workspaceId: id, revokedKeys: revoked, artifacts: artifactIds.length }, "deleted a workspace");
    },

    async addMember(caller: WorkspaceCaller, workspaceId: string, email: string, role: Role): Promise<WorkspaceMemberRow> {
      await visible(caller, workspaceId);
      checkRole(role);
      const row: WorkspaceMemberRow = { workspaceId, email: email.toLowerCase(), role: Role[role].toLowerCase(), createdAt: Date.now() };
      await store.addMember(row);
      return row;
    },

    async members(caller: WorkspaceCaller, workspaceId: string): Promise<WorkspaceMemberRow[]> {
      await visible(caller, workspaceId);
      return store.members(workspaceId);
    },

    async updateMember(caller: WorkspaceCaller, workspaceId: string, email: string, role: Role): Promise<WorkspaceMemberRow> {
      await visible(caller, workspaceId);
      checkRole(role);
      const key = email.toLowerCase();
      if (!(await store.setMemberRole(workspaceId, key, Role[role].toLowerCase()))) throw notFound("member", key);
      if (role !== Role.ADMIN) await revokeKeysMadeBy(workspaceId, key);
      return (await store.member(workspaceId, key))!;
    },

    async removeMember(caller: WorkspaceCaller, workspaceId: string, email: string): Promise<void> {
      await visible(caller, workspaceId);
      const key = email.toLowerCase();
      if (!(await store.removeMember(workspaceId, key))) throw notFound("member", key);
      await revokeKeysMadeBy(workspaceId, key);
    },
  };
}

export type Workspaces = ReturnType<typeof createWorkspaces>;
