import { create } from "@bufbuild/protobuf";
import { timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { ApiKeySchema, PersonSchema, type ApiKey, type Person } from "../gen/flightcontrol/v1/api_key_pb";
import { CredentialSchema, type Credential } from "../gen/flightcontrol/v1/credential_pb";
import { JobSchema, type Job } from "../gen/flightcontrol/v1/job_pb";
import { RunSchema, type Run } from "../gen/flightcontrol/v1/run_pb";
import { WorkerSchema, WorkerState, type Worker } from "../gen/flightcontrol/v1/worker_pb";
import { roleFromColumn } from "../domain/auth/api-keys";
import { allowedJobIds } from "../domain/credentials";
import { redactMcpSecrets } from "../domain/mcp/secrets";
import type { RunSkillRef } from "../domain/skills/skills";
import { statusFromColumn, triggerFromColumn } from "../domain/runs/status";
import { changesFromJson, specFromJson, specSummaryFromJson, usageFromJson } from "../storage/codecs";
import type { ApiKeyRow, CredentialRow, PersonRow, WorkerRow } from "../storage/entities";
import type { JobListRow } from "../storage/job-store";
import type { RunListRow } from "../storage/run-store";

export const ts = (ms: number | null | undefined): Timestamp | undefined => (ms ? timestampFromMs(ms) : undefined);

/** The job, with its spec when the row was read with it (JobView FULL, GetJob). */
export function jobToProto(row: JobListRow): Job {
  return create(JobSchema, {
    id: row.id,
    name: row.name,
    description: row.description,
    spec: row.spec === undefined ? undefined : redactMcpSecrets(specFromJson(row.spec)),
    specSummary: specSummaryFromJson(row.specSummary),
    createTime: ts(row.createdAt),
    updateTime: ts(row.updatedAt),
  });
}

/** The run, with its spec when the row was read with it (RunView FULL, GetRun). */
/** `waitingReason`: for a queued run, why it waits (domain/dispatch/waiting-reason.ts). */
export function runToProto(row: RunListRow, waitingReason = ""): Run {
  return create(RunSchema, {
    waitingReason,
    id: row.id,
    jobId: row.jobId ?? "",
    jobName: row.jobName,
    spec: row.spec === undefined ? undefined : redactMcpSecrets(specFromJson(row.spec)),
    specSummary: specSummaryFromJson(row.specSummary),
    status: statusFromColumn(row.status),
    trigger: triggerFromColumn(row.trigger),
    scheduleId: row.scheduleId ?? "",
    retryOfRunId: row.retryOfRunId ?? "",
    attempt: row.attempt,
    maxAttempts: row.maxAttempts,
    workerId: row.workerId ?? "",
    workerName: row.workerName ?? "",
    labels: JSON.parse(row.labels),
    createTime: ts(row.createdAt),
    availableTime: ts(row.availableAt),
    assignTime: ts(row.assignedAt),
    startTime: ts(row.startedAt),
    finishTime: ts(row.finishedAt),
    exitCode: row.exitCode ?? undefined,
    error: row.error,
    result: row.result,
    usage: usageFromJson(row.usage),
    changes: changesFromJson(row.changes),
    lastSeq: BigInt(row.lastSeq),
    cancelRequested: Boolean(row.cancelRequested),
    parentRunId: row.parentRunId ?? "",
    agentSessionId: row.agentSessionId ?? "",
    parameters: JSON.parse(row.parameters || "{}"),
    skills: (JSON.parse(row.skills || "[]") as RunSkillRef[]).map((s) => ({ skillId: s.id, name: s.name, version: s.version })),
  });
}

export function credentialToProto(row: CredentialRow): Credential {
  return create(CredentialSchema, {
    id: row.id,
    name: row.name,
    description: row.description,
    envNames: JSON.parse(row.envNames),
    allowedJobIds: allowedJobIds(row),
    createTime: ts(row.createdAt),
    updateTime: ts(row.updatedAt),
  });
}

export function apiKeyToProto(row: ApiKeyRow): ApiKey {
  return create(ApiKeySchema, {
    id: row.id,
    name: row.name,
    role: roleFromColumn(row.role),
    prefix: row.prefix,
    createTime: ts(row.createdAt),
    lastUsedTime: ts(row.lastUsedAt),
    revokeTime: ts(row.revokedAt),
    workerLabels: JSON.parse(row.workerLabels || "{}"),
    workspaceId: row.workspaceId ?? "",
    createdBy: row.createdBy ?? "",
  });
}

/** `activeSessions`: ListPeople's count of the person's live sessions (0 where it is not counted). */
export const personToProto = (row: PersonRow, activeSessions = 0): Person =>
  create(PersonSchema, {
    id: row.id,
    email: row.email,
    name: row.name,
    instanceAdmin: row.instanceAdmin,
    createTime: ts(row.createdAt),
    lastSignInTime: ts(row.lastSignInAt),
    activeSessions,
  });

export function workerToProto(row: WorkerRow, activeRunIds: string[]): Worker {
  return create(WorkerSchema, {
    id: row.id,
    name: row.name,
    hostname: row.hostname,
    labels: JSON.parse(row.labels),
    capacity: row.capacity,
    agents: JSON.parse(row.agents),
    agentVersions: JSON.parse(row.agentVersions || "{}"),
    version: row.version,
    state: WorkerState[row.state.toUpperCase() as keyof typeof WorkerState] ?? WorkerState.UNSPECIFIED,
    activeRunIds,
    connectTime: ts(row.connectedAt),
    lastHeartbeatTime: ts(row.lastHeartbeatAt),
    disconnectTime: ts(row.disconnectedAt),
  });
}

/** Opaque cursors: callers must not depend on their content. */
export const encodeCursor = (value: string): string => Buffer.from(value).toString("base64url");
export function decodeCursor(token: string): string | undefined {
  if (!token) return undefined;
  return Buffer.from(token, "base64url").toString();
}
