import { EntitySchema, type EntitySchemaColumnOptions } from "typeorm";
import { epochMs, id, int, str } from "../columns";

/**
 * The workspace every row written before workspaces existed was moved into (migration
 * 1767000000000-workspaces.ts), and the one an instance-admin key acts in when its request names
 * none. A fixed id, so the migration and the code agree on it without a lookup.
 */
export const DEFAULT_WORKSPACE_ID = "00000000-0000-7000-8000-000000000001";
export const DEFAULT_WORKSPACE_NAME = "default";

/**
 * The workspace_id column of every resource table. Its database default is the default workspace,
 * which is how the migration moved existing rows there (ADD COLUMN … DEFAULT on both dialects);
 * every row type declares workspaceId as required, so code never leans on the default.
 */
export const workspaceColumn = (): EntitySchemaColumnOptions => ({
  type: "varchar",
  length: 36,
  name: "workspace_id",
  default: DEFAULT_WORKSPACE_ID,
});

export interface WorkspaceRow {
  id: string;
  /** Unique across the install. */
  name: string;
  createdAt: number;
  updatedAt: number;
  /** Assigned or running runs at once; 0: no limit (the dispatcher holds the rest in the queue). */
  maxConcurrentRuns: number;
  /** Queued runs at most; 0: no limit (creating one more is ResourceExhausted). */
  maxQueuedRuns: number;
}

/** A person's role in a workspace; people are known by email (they sign in through OIDC, later). */
export interface WorkspaceMemberRow {
  workspaceId: string;
  /** Lower case. */
  email: string;
  /** "admin", "operator" or "viewer". */
  role: string;
  createdAt: number;
}

export const WorkspaceEntity = new EntitySchema<WorkspaceRow>({
  name: "Workspace",
  tableName: "workspaces",
  columns: {
    id: id(),
    name: { ...str(100), unique: true },
    createdAt: { ...epochMs(), name: "created_at" },
    updatedAt: { ...epochMs(), name: "updated_at" },
    maxConcurrentRuns: { ...int(), name: "max_concurrent_runs", default: 0 },
    maxQueuedRuns: { ...int(), name: "max_queued_runs", default: 0 },
  },
});

export const WorkspaceMemberEntity = new EntitySchema<WorkspaceMemberRow>({
  name: "WorkspaceMember",
  tableName: "workspace_members",
  columns: {
    workspaceId: { type: "varchar", length: 36, primary: true, name: "workspace_id" },
    email: { ...str(254), primary: true },
    role: str(16),
    createdAt: { ...epochMs(), name: "created_at" },
  },
  // Deleting a workspace deletes its memberships in the database itself.
  relations: {
    workspace: { type: "many-to-one", target: "Workspace", joinColumn: { name: "workspace_id" }, onDelete: "CASCADE" },
  } as never,
});
