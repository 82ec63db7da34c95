import { EntitySchema } from "typeorm";
import { epochMs, id, int, ref, str, text, bool } from "../columns";
import { workspaceColumn } from "./workspace";

/** Status as stored: RunStatus's name without its prefix, lower case; the sets of them are in domain/runs/status.ts. */
export type RunStatusColumn = "queued" | "assigned" | "running" | "succeeded" | "failed" | "cancelled" | "timed_out" | "lost";
/** TriggerKind's name without its prefix, lower case. */
export type TriggerColumn = "manual" | "ad_hoc" | "schedule" | "retry" | "follow_up" | "unspecified";

/** A run is both a record and a queue entry: the dispatcher claims rows with status 'queued'. */
export interface JobRunRow {
  id: string;
  jobId: string | null;
  jobName: string;
  /** JobSpec snapshot as protobuf JSON. */
  spec: string;
  /** JobSpecSummary as protobuf JSON: what lists read instead of the spec. */
  specSummary: string;
  agent: string;
  /** JSON object; the worker's labels must include all of these. */
  requiredLabels: string;
  /** JSON object; free-form labels for filtering. */
  labels: string;
  priority: number;
  status: RunStatusColumn;
  trigger: TriggerColumn;
  scheduleId: string | null;
  retryOfRunId: string | null;
  attempt: number;
  maxAttempts: number;
  workerId: string | null;
  workerName: string | null;
  createdAt: number;
  availableAt: number;
  assignedAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  deadlineAt: number | null;
  timeoutSeconds: number;
  exitCode: number | null;
  error: string;
  result: string;
  /** Usage as protobuf JSON. */
  usage: string;
  /** RunChanges as protobuf JSON; "" while the run has reported none (no repository, or not finished). */
  changes: string;
  lastSeq: number;
  cancelRequested: boolean;
  updatedAt: number;
  /** The run this one follows up (ContinueRun); null otherwise. */
  parentRunId: string | null;
  /** The agent's own session id, reported when the run finished; "" when it has none. */
  agentSessionId: string;
  /** JSON object: the parameter values the run was started with. */
  parameters: string;
  /** JSON array of {id, name, version}: the skill versions the run installs. */
  skills: string;
  /** The workspace the run belongs to; its logs, events and artifacts are reached through it. */
  workspaceId: string;
}

export const JobRunEntity = new EntitySchema<JobRunRow>({
  name: "JobRun",
  tableName: "job_runs",
  columns: {
    id: id(),
    jobId: { ...ref(), name: "job_id" },
    jobName: { ...str(100), name: "job_name" },
    spec: text(),
    specSummary: { ...text(), name: "spec_summary", default: "" },
    agent: str(32),
    requiredLabels: { ...text(), name: "required_labels" },
    labels: text(),
    priority: int(),
    status: str(16),
    trigger: str(16),
    scheduleId: { ...ref(), name: "schedule_id" },
    retryOfRunId: { ...ref(), name: "retry_of_run_id" },
    attempt: int(),
    maxAttempts: { ...int(), name: "max_attempts" },
    workerId: { ...ref(), name: "worker_id" },
    workerName: { ...str(128, true), name: "worker_name" },
    createdAt: { ...epochMs(), name: "created_at" },
    availableAt: { ...epochMs(), name: "available_at" },
    assignedAt: { ...epochMs(true), name: "assigned_at" },
    startedAt: { ...epochMs(true), name: "started_at" },
    finishedAt: { ...epochMs(true), name: "finished_at" },
    deadlineAt: { ...epochMs(true), name: "deadline_at" },
    timeoutSeconds: { ...int(), name: "timeout_seconds" },
    exitCode: { ...int(true), name: "exit_code" },
    error: text(),
    result: text(),
    usage: text(),
    changes: { ...text(), default: "" },
    lastSeq: { ...epochMs(), name: "last_seq" },
    cancelRequested: { ...bool(), name: "cancel_requested" },
    updatedAt: { ...epochMs(), name: "updated_at" },
    parentRunId: { ...ref(), name: "parent_run_id" },
    agentSessionId: { ...str(256), name: "agent_session_id", default: "" },
    parameters: { ...text(), default: "{}" },
    skills: { ...text(), default: "[]" },
    workspaceId: workspaceColumn(),
  },
  indices: [
    // The queue scan: queued runs by priority then age (ids are time-ordered).
    { name: "idx_job_runs_queue", columns: ["status", "priority", "id"] },
    { name: "idx_job_runs_job", columns: ["jobId", "id"] },
    { name: "idx_job_runs_worker", columns: ["workerId", "status"] },
    { name: "idx_job_runs_schedule", columns: ["scheduleId", "id"] },
    { name: "idx_job_runs_finished", columns: ["finishedAt"] },
    // ListRuns(parent_run_id): a run's follow-ups.
    { name: "idx_job_runs_parent", columns: ["parentRunId", "id"] },
    // ListRuns of a workspace, newest first.
    { name: "idx_job_runs_workspace", columns: ["workspaceId", "id"] },
    // GetStats and the queue limit count a workspace's runs by status from the index alone.
    { name: "idx_job_runs_workspace_status", columns: ["workspaceId", "status"] },
    // GetStats' windows: a workspace's runs finished since a time, without walking its queued ones.
    { name: "idx_job_runs_workspace_finished", columns: ["workspaceId", "finishedAt"] },
  ],
});
