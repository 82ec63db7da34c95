import { clone } from "@bufbuild/protobuf";
import { TriggerKind } from "../../gen/flightcontrol/v1/run_pb";
import { JobSpecSchema, type JobSpec } from "../../gen/flightcontrol/v1/spec_pb";
import { changesFromJson, specFromJson } from "../../storage/codecs";
import type { JobRunRow, RunStatusColumn } from "../../storage/entities";
import type { FinishFields, RunStore } from "../../storage/run-store";
import type { EventBus } from "../events";
import { failedPrecondition, notFound } from "../errors";
import { newId } from "../ids";
import type { RunSkillRef } from "../skills/skills";
import { storedSpec } from "../specs/stored-spec";
import { isActive, triggerToColumn } from "./status";

export interface LifecycleDeps {
  runs: RunStore;
  events: EventBus;
  /**
   * Throws when the run may not use its credentials: one does not exist (NotFound), does not allow
   * runs of this job (PermissionDenied; jobId undefined for an ad-hoc run), or an MCP reference
   * does not resolve to them.
   */
  assertRunCredentials(workspaceId: string, spec: JobSpec, jobId: string | undefined): Promise<void>;
  /** The current version of each of the spec's skills (of the workspace); throws NotFound naming a skill that is gone. */
  resolveSkills(workspaceId: string, ids: string[]): Promise<RunSkillRef[]>;
  defaultTimeoutSeconds: number;
  /** Throws ResourceExhausted while the workspace's queue is at its max_queued_runs. */
  assertQueueRoom?(workspaceId: string): Promise<void>;
}

export interface NewRun {
  /** The workspace the run belongs to: its credentials and skills must be of the same one. */
  workspaceId: string;
  /** As stored: MCP literals already sealed (domain/mcp/secrets.ts). */
  spec: JobSpec;
  jobId?: string;
  jobName: string;
  trigger: TriggerKind;
  labels?: Record<string, string>;
  scheduleId?: string;
  retryOfRunId?: string;
  /** The run this one follows up (ContinueRun, or a retry of a follow-up). */
  parentRunId?: string;
  /** The parameter values the spec was filled with (domain/parameters/apply-parameters.ts). */
  parameters?: Record<string, string>;
  /** Skill versions to reuse (a retry keeps its run's); otherwise the skills' current versions. */
  skills?: RunSkillRef[];
}

const DEFAULT_BACKOFF_SECONDS = 5;
const MAX_BACKOFF_MS = 10 * 60_000;

/** Delay before attempt n+1 after attempt n failed: doubles each time, capped. */
export function retryDelayMs(spec: JobSpec, failedAttempt: number): number {
  const base = (spec.retryBackoffSeconds || DEFAULT_BACKOFF_SECONDS) * 1000;
  return Math.min(base * 2 ** (failedAttempt - 1), MAX_BACKOFF_MS);
}

/**
 * Run creation, retry and the end of an attempt. The spec is copied and normalised here, once, so a
 * run's snapshot states exactly what it will execute (defaults filled in) and later job edits never
 * reach it.
 */
export function createLifecycle(deps: LifecycleDeps) {
  const { runs, events } = deps;

  async function createRun(input: NewRun): Promise<JobRunRow> {
    const spec = clone(JobSpecSchema, input.spec);
    spec.timeoutSeconds ||= deps.defaultTimeoutSeconds;
    spec.maxAttempts ||= 1;
    spec.retryBackoffSeconds ||= DEFAULT_BACKOFF_SECONDS;
    // Checked on every path that makes a run (CreateRun, TriggerJob, schedules, RetryRun): a job
    // stored before the limit existed, or a run retried from one, is refused here too.
    const stored = storedSpec(spec);
    await deps.assertQueueRoom?.(input.workspaceId);
    await deps.assertRunCredentials(input.workspaceId, spec, input.jobId);
    const skills = input.skills ?? (await deps.resolveSkills(input.workspaceId, spec.skillIds));
    const now = Date.now();
    const row: JobRunRow = {
      id: newId(now),
      jobId: input.jobId ?? null,
      jobName: input.jobName,
      ...stored,
      agent: spec.agent,
      requiredLabels: JSON.stringify(spec.requiredLabels),
      labels: JSON.stringify(input.labels ?? {}),
      priority: spec.priority,
      status: "queued",
      trigger: triggerToColumn(input.trigger),
      scheduleId: input.scheduleId ?? null,
      retryOfRunId: input.retryOfRunId ?? null,
      attempt: 1,
      maxAttempts: spec.maxAttempts,
      workerId: null,
      workerName: null,
      createdAt: now,
      availableAt: now,
      assignedAt: null,
      startedAt: null,
      finishedAt: null,
      deadlineAt: null,
      timeoutSeconds: spec.timeoutSeconds,
      exitCode: null,
      error: "",
      result: "",
      usage: "{}",
      changes: "",
      lastSeq: 0,
      cancelRequested: false,
      updatedAt: now,
      parentRunId: input.parentRunId ?? null,
      agentSessionId: "",
      parameters: JSON.stringify(input.parameters ?? {}),
      skills: JSON.stringify(skills),
      workspaceId: input.workspaceId,
    };
    await runs.insert(row);
    events.emit("runChanged", row.id, row.status);
    return row;
  }

  async function retryRun(ws: string, id: string): Promise<JobRunRow> {
    const row = await runs.getIn(ws, id);
    if (!row) throw notFound("run", id);
    if (isActive(row.status)) {
      throw failedPrecondition(`run ${id} is still ${row.status}; cancel it or wait for it to finish before retrying`);
    }
    return createRun({
      workspaceId: row.workspaceId,
      spec: specFromJson(row.spec),
      jobId: row.jobId ?? undefined,
      jobName: row.jobName,
      trigger: TriggerKind.RETRY,
      labels: JSON.parse(row.labels),
      scheduleId: row.scheduleId ?? undefined,
      retryOfRunId: row.id,
      // A retried follow-up starts again from the same parent's work.
      parentRunId: row.parentRunId ?? undefined,
      // The same run again: the values and skill versions it was created with.
      parameters: JSON.parse(row.parameters || "{}"),
      skills: JSON.parse(row.skills || "[]"),
    });
  }

  /**
   * Queues a follow-up of a finished run: the parent's snapshot with a new prompt, on the same job.
   * When the parent committed to a branch, the follow-up commits to that branch too, so its push
   * extends it; where its work starts from is the worker's business (Assign.follow_up).
   */
  async function continueRun(ws: string, id: string, prompt: string): Promise<JobRunRow> {
    const parent = await runs.getIn(ws, id);
    if (!parent) throw notFound("run", id);
    if (isActive(parent.status)) {
      throw failedPrecondition(
        `run ${id} is still ${parent.status}; a follow-up continues a finished run: wait for it to finish (or cancel it), then continue it`,
      );
    }
    const spec = specFromJson(parent.spec);
    spec.prompt = prompt;
    const branch = changesFromJson(parent.changes)?.branch;
    if (spec.repository && branch) spec.repository.branch = branch;
    return createRun({
      workspaceId: parent.workspaceId,
      spec,
      jobId: parent.jobId ?? undefined,
      jobName: parent.jobName,
      trigger: TriggerKind.FOLLOW_UP,
      labels: JSON.parse(parent.labels),
      parentRunId: parent.id,
      // The same values and skill versions as the parent: the follow-up continues the same work.
      parameters: JSON.parse(parent.parameters || "{}"),
      skills: JSON.parse(parent.skills || "[]"),
    });
  }

  /**
   * The attempt ended without the run being done (worker lost, never acknowledged, agent failed):
   * queue the next attempt if the policy allows, else end the run in `finalStatus`. A cancelled run
   * is never retried. Returns the new status, or undefined if the run had already moved on.
   */
  async function endAttempt(row: JobRunRow, finalStatus: RunStatusColumn, error: string, backoff: boolean): Promise<RunStatusColumn | undefined> {
    const now = Date.now();
    if (row.cancelRequested) {
      return (await runs.forceFinish(row.id, row.attempt, "cancelled", row.error || "cancelled", now)) ? emit(row.id, "cancelled") : undefined;
    }
    if (row.attempt < row.maxAttempts) {
      const delay = backoff ? retryDelayMs(specFromJson(row.spec), row.attempt) : 0;
      const moved = await runs.requeue(row.id, row.attempt, now + delay, error, now);
      return moved ? emit(row.id, "queued") : undefined;
    }
    return (await runs.forceFinish(row.id, row.attempt, finalStatus, error, now)) ? emit(row.id, finalStatus) : undefined;
  }

  /**
   * The worker reported the attempt's outcome. Failures and timeouts are retried while attempts
   * remain (the error is kept on the run); everything else is final.
   */
  async function reportFinish(row: JobRunRow, workerId: string, f: FinishFields): Promise<RunStatusColumn | undefined> {
    const retryable = (f.status === "failed" || f.status === "timed_out") && !row.cancelRequested && row.attempt < row.maxAttempts;
    if (retryable) return endAttempt(row, f.status, f.error, true);
    const status: RunStatusColumn = row.cancelRequested && f.status !== "succeeded" ? "cancelled" : f.status;
    return (await runs.finish(row.id, workerId, row.attempt, { ...f, status }, Date.now())) ? emit(row.id, status) : undefined;
  }

  function emit(id: string, status: RunStatusColumn): RunStatusColumn {
    events.emit("runChanged", id, status);
    return status;
  }

  return { createRun, retryRun, continueRun, endAttempt, reportFinish };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
