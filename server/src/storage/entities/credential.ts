import { EntitySchema } from "typeorm";
import { epochMs, id, str, text } from "../columns";
import { workspaceColumn } from "./workspace";

export interface CredentialRow {
  id: string;
  name: string;
  description: string;
  /** JSON array of variable names; the values live only in ciphertext. */
  envNames: string;
  /** A Fernet token of the JSON object of variables. */
  ciphertext: string;
  /** JSON array of the job ids whose runs may use it; "[]" means any run. */
  allowedJobIds: string;
  createdAt: number;
  updatedAt: number;
  /** The workspace the row belongs to (entities/workspace.ts). */
  workspaceId: string;
}

export const CredentialEntity = new EntitySchema<CredentialRow>({
  name: "Credential",
  tableName: "credentials",
  columns: {
    id: id(),
    name: str(100),
    description: text(),
    envNames: { ...text(), name: "env_names" },
    ciphertext: text(),
    allowedJobIds: { ...text(), name: "allowed_job_ids", default: "[]" },
    createdAt: { ...epochMs(), name: "created_at" },
    updatedAt: { ...epochMs(), name: "updated_at" },
    workspaceId: workspaceColumn(),
  },
  // Names are unique per workspace.
  indices: [{ name: "idx_credentials_name", columns: ["workspaceId", "name"], unique: true }],
});
