import { EntitySchema } from "typeorm";
import { epochMs, id, str, text } from "../columns";

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
}

export const JobDefinitionEntity = new EntitySchema<JobDefinitionRow>({
  name: "JobDefinition",
  tableName: "job_definitions",
  columns: {
    id: id(),
    name: { ...str(100), unique: true },
    description: text(),
    spec: text(),
    specSummary: { ...text(), name: "spec_summary", default: "" },
    createdAt: { ...epochMs(), name: "created_at" },
    updatedAt: { ...epochMs(), name: "updated_at" },
  },
});
