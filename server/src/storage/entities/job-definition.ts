import { EntitySchema } from "typeorm";
import { epochMs, id, str, text } from "../columns";
import { workspaceColumn } from "./workspace";

export interface JobDefinitionRow {
  id: string;
  name: string;
  description: string;
  /** JobSpec as protobuf JSON. */
  spec: string;
  /** JobSpecSummary as protobuf JSON: what lists read instead of the spec. */
  specSummary: string;
  createdAt: number;
  updatedAt: number;
  /** The workspace the row belongs to (entities/workspace.ts). */
  workspaceId: string;
}

export const JobDefinitionEntity = new EntitySchema<JobDefinitionRow>({
  name: "JobDefinition",
  tableName: "job_definitions",
  columns: {
    id: id(),
    name: str(100),
    description: text(),
    spec: text(),
    specSummary: { ...text(), name: "spec_summary", default: "" },
    createdAt: { ...epochMs(), name: "created_at" },
    updatedAt: { ...epochMs(), name: "updated_at" },
    workspaceId: workspaceColumn(),
  },
  // Names are unique per workspace.
  indices: [{ name: "idx_job_definitions_name", columns: ["workspaceId", "name"], unique: true }],
});
