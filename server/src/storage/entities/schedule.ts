import { EntitySchema } from "typeorm";
import { bool, epochMs, id, ref, str, text } from "../columns";
import { workspaceColumn } from "./workspace";

/** Policies as stored: the enum name without its prefix, lower case (domain/schedules/policies.ts converts). */
export type MisfireColumn = "skip" | "run_once";
export type OverlapColumn = "allow" | "skip" | "cancel_previous";

export interface ScheduleRow {
  id: string;
  jobId: string;
  name: string;
  cron: string;
  timeZone: string;
  paused: boolean;
  misfirePolicy: MisfireColumn;
  overlapPolicy: OverlapColumn;
  /** The next firing to claim; null when paused or the expression has no future time. */
  nextRunAt: number | null;
  lastRunAt: number | null;
  lastRunId: string | null;
  createdAt: number;
  updatedAt: number;
  /** JSON object: the parameter values every run of this schedule gets. */
  parameters: string;
  /** The workspace the row belongs to (entities/workspace.ts). */
  workspaceId: string;
}

export const ScheduleEntity = new EntitySchema<ScheduleRow>({
  name: "Schedule",
  tableName: "schedules",
  columns: {
    id: id(),
    jobId: { ...ref(false), name: "job_id" },
    name: str(100),
    cron: str(200),
    timeZone: { ...str(64), name: "time_zone" },
    paused: bool(),
    misfirePolicy: { ...str(16), name: "misfire_policy" },
    overlapPolicy: { ...str(16), name: "overlap_policy" },
    nextRunAt: { ...epochMs(true), name: "next_run_at" },
    lastRunAt: { ...epochMs(true), name: "last_run_at" },
    lastRunId: { ...ref(), name: "last_run_id" },
    createdAt: { ...epochMs(), name: "created_at" },
    updatedAt: { ...epochMs(), name: "updated_at" },
    parameters: { ...text(), default: "{}" },
    workspaceId: workspaceColumn(),
  },
  indices: [
    { name: "idx_schedules_due", columns: ["paused", "nextRunAt"] },
    { name: "idx_schedules_job", columns: ["jobId"] },
  ],
  relations: {
    // Deleting a job deletes its schedules, in the database itself so no code path can forget.
    job: { type: "many-to-one", target: "JobDefinition", joinColumn: { name: "job_id" }, onDelete: "CASCADE" },
  } as never,
});
