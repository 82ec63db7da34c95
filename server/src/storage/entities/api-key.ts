import { EntitySchema } from "typeorm";
import { epochMs, id, str, text } from "../columns";

export interface ApiKeyRow {
  id: string;
  name: string;
  role: string;
  /** SHA-256 of the key, hex. */
  keyHash: string;
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** JSON object: the labels a worker key is bound to; "{}" means unbound. */
  workerLabels: string;
  /** The workspace the key acts in; null for an instance-admin key (the bootstrap admin key), which names one per request. */
  workspaceId: string | null;
  /** The email of the signed-in person who created the key; null when a key created it. */
  createdBy: string | null;
}

export const ApiKeyEntity = new EntitySchema<ApiKeyRow>({
  name: "ApiKey",
  tableName: "api_keys",
  columns: {
    id: id(),
    name: str(100),
    role: str(16),
    keyHash: { ...str(64), unique: true, name: "key_hash" },
    prefix: str(16),
    createdAt: { ...epochMs(), name: "created_at" },
    lastUsedAt: { ...epochMs(true), name: "last_used_at" },
    revokedAt: { ...epochMs(true), name: "revoked_at" },
    workerLabels: { ...text(), name: "worker_labels", default: "{}" },
    workspaceId: { type: "varchar", length: 36, nullable: true, name: "workspace_id" },
    createdBy: { ...str(254, true), name: "created_by" },
  },
});
