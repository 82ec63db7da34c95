import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { file_flightcontrol_v1_api_key } from "../../../src/gen/flightcontrol/v1/api_key_pb";
import { file_flightcontrol_v1_credential } from "../../../src/gen/flightcontrol/v1/credential_pb";
import { file_flightcontrol_v1_job } from "../../../src/gen/flightcontrol/v1/job_pb";
import { file_flightcontrol_v1_person } from "../../../src/gen/flightcontrol/v1/person_pb";
import { file_flightcontrol_v1_run } from "../../../src/gen/flightcontrol/v1/run_pb";
import { file_flightcontrol_v1_schedule } from "../../../src/gen/flightcontrol/v1/schedule_pb";
import { file_flightcontrol_v1_spec } from "../../../src/gen/flightcontrol/v1/spec_pb";
import { file_flightcontrol_v1_system } from "../../../src/gen/flightcontrol/v1/system_pb";
import { file_flightcontrol_v1_worker } from "../../../src/gen/flightcontrol/v1/worker_pb";
import { file_flightcontrol_v1_workspace } from "../../../src/gen/flightcontrol/v1/workspace_pb";
import type { Fixtures, Kind } from "./fixtures";
import type { Json } from "./hostile";

/** Every service of package flightcontrol.v1, straight from the generated file descriptors. */
export const flightcontrolServices: DescService[] = [
  file_flightcontrol_v1_api_key,
  file_flightcontrol_v1_credential,
  file_flightcontrol_v1_job,
  file_flightcontrol_v1_person,
  file_flightcontrol_v1_run,
  file_flightcontrol_v1_schedule,
  file_flightcontrol_v1_spec,
  file_flightcontrol_v1_system,
  file_flightcontrol_v1_worker,
  file_flightcontrol_v1_workspace,
]
  .flatMap((f) => f.services)
  .sort((a, b) => a.typeName.localeCompare(b.typeName));

export const allMethods: DescMethod[] = flightcontrolServices.flatMap((s) => s.methods);

export const rpcPath = (m: DescMethod): string => `/${m.parent.typeName}/${m.name}`;
export const rpcName = (m: DescMethod): string => `${m.parent.name}/${m.name}`;

/** Methods that only read: a valid request to them may be sent whatever it holds. */
export const readOnly = (m: DescMethod): boolean => m.methodKind === "unary" && /^(Get|List|WhoAmI)/.test(m.name);

/**
 * A valid request for every RPC, as Connect JSON. Hostile requests are these with one thing broken,
 * so whatever the server refuses, it refuses for that one thing.
 */
export function baseRequest(m: DescMethod, f: Fixtures): Record<string, Json> {
  const spec = { prompt: "echo base", agent: "shell" };
  const table: Record<string, Record<string, Json>> = {
    "JobService/CreateJob": { name: "fuzz-job", description: "d", spec },
    "JobService/GetJob": { id: f.job },
    "JobService/ListJobs": { pageSize: 10, query: "fix" },
    "JobService/UpdateJob": { id: f.job, name: "fuzz-renamed", spec },
    "JobService/DeleteJob": { id: f.job },
    "JobService/TriggerJob": { id: f.job, labels: { env: "test" } },
    "JobService/ImportRecipe": { recipe: "title: fuzz\ndescription: d\nprompt: p\n", name: "fuzz-recipe" },
    "JobService/ExportRecipe": { id: f.job },
    "RunService/CreateRun": { spec, name: "fuzz-run", labels: { env: "test" } },
    "RunService/GetRun": { id: f.run },
    "RunService/ListRuns": { jobId: f.job, statuses: ["RUN_STATUS_QUEUED"], pageSize: 10 },
    "RunService/CancelRun": { id: f.run, reason: "fuzz" },
    "RunService/RetryRun": { id: f.run },
    "RunService/ContinueRun": { id: f.run, prompt: "fuzz follow-up" },
    "RunService/ListRunLogs": { runId: f.run, afterSeq: "0", pageSize: 10 },
    "RunService/WatchRun": { runId: f.run, afterSeq: "0" },
    "RunService/WatchRuns": { jobId: f.job },
    "CredentialService/CreateCredential": { name: "fuzz-cred", description: "d", env: { FUZZ_TOKEN: "v" } },
    "CredentialService/ListCredentials": {},
    "CredentialService/UpdateCredential": { id: f.credential, description: "d2", env: { FUZZ_TOKEN: "v2" } },
    "CredentialService/DeleteCredential": { id: f.credential },
    "RunService/ListArtifacts": { runId: f.run },
    // No fixture run has artifacts: a well-formed id that exists nowhere (the hostile variants must still be refused as such).
    "RunService/DownloadArtifact": { id: "0190cccc-0000-7000-8000-00000000abcd" },
    "WorkerService/ListWorkers": { includeOffline: true },
    "WorkerService/GetWorker": { id: f.worker },
    "WorkerService/DrainWorker": { id: f.worker },
    "WorkerService/WatchWorkers": {},
    "WorkerService/Connect": {
      hello: { name: "fuzz-worker", hostname: "h", capacity: 1, agents: ["shell"], version: "v", instanceId: "fuzz-instance-1" },
    },
    "ScheduleService/CreateSchedule": {
      jobId: f.job,
      name: "fuzz-schedule",
      cron: "0 0 1 1 *",
      timeZone: "Europe/Berlin",
      misfirePolicy: "MISFIRE_POLICY_SKIP",
      overlapPolicy: "OVERLAP_POLICY_ALLOW",
      paused: true,
    },
    "ScheduleService/GetSchedule": { id: f.schedule },
    "ScheduleService/ListSchedules": { jobId: f.job },
    "ScheduleService/UpdateSchedule": { id: f.schedule, cron: "0 0 2 1 *", timeZone: "UTC" },
    "ScheduleService/DeleteSchedule": { id: f.schedule },
    "ScheduleService/PauseSchedule": { id: f.schedule },
    "ScheduleService/ResumeSchedule": { id: f.schedule },
    "ApiKeyService/CreateApiKey": { name: "fuzz-key", role: "ROLE_VIEWER" },
    "ApiKeyService/ListApiKeys": { includeRevoked: true },
    "ApiKeyService/RevokeApiKey": { id: f.apiKey },
    "ApiKeyService/WhoAmI": {},
    "WorkspaceService/CreateWorkspace": { name: "fuzz workspace", maxConcurrentRuns: 2, maxQueuedRuns: 10 },
    "WorkspaceService/GetWorkspace": { id: f.workspace },
    "WorkspaceService/ListWorkspaces": {},
    "WorkspaceService/UpdateWorkspace": { id: f.workspace, name: "fuzz renamed", maxConcurrentRuns: 1, maxQueuedRuns: 5 },
    "WorkspaceService/DeleteWorkspace": { id: f.workspace, cascade: true },
    "WorkspaceService/AddMember": { workspaceId: f.workspace, email: "fuzz@example.com", role: "ROLE_VIEWER" },
    "WorkspaceService/ListMembers": { workspaceId: f.workspace },
    "WorkspaceService/UpdateMember": { workspaceId: f.workspace, email: f.member, role: "ROLE_OPERATOR" },
    "WorkspaceService/RemoveMember": { workspaceId: f.workspace, email: f.member },
    // The fuzz server has no identity provider, so nobody has signed in: a person id that exists nowhere.
    "PersonService/ListPeople": { pageSize: 10 },
    "PersonService/EndSessions": { personId: "0190cccc-0000-7000-8000-00000000b0d1" },
    "PersonService/DeletePerson": { id: "0190cccc-0000-7000-8000-00000000b0d1" },
    "SystemService/GetStats": {},
    "SystemService/GetInfo": {},
  };
  const base = table[rpcName(m)];
  if (!base) throw new Error(`no base request for ${rpcName(m)}: add one to server/test/security/support/requests.ts`);
  return base;
}

/** Which kind of object an id field names, for fields that name one. */
export function idKind(m: DescMethod, jsonPath: string[]): Kind | undefined {
  const leaf = jsonPath[jsonPath.length - 1];
  const byName: Record<string, Kind> = {
    jobId: "job",
    runId: "run",
    workerId: "worker",
    scheduleId: "schedule",
    credentialIds: "credential",
    workspaceId: "workspace",
  };
  if (byName[leaf]) return byName[leaf];
  if (leaf !== "id" || jsonPath.length !== 1) return undefined;
  // An artifact id: no fixture kind (no fixture run has artifacts); the work-product tests cover unknown ids.
  if (m.name === "DownloadArtifact") return undefined;
  const byService: Record<string, Kind> = {
    JobService: "job",
    RunService: "run",
    CredentialService: "credential",
    WorkerService: "worker",
    ScheduleService: "schedule",
    ApiKeyService: "apiKey",
    WorkspaceService: "workspace",
  };
  return byService[m.parent.name];
}

/** Id fields that filter a listing (an unknown id finds nothing) rather than name the object to act on. */
export const isFilter = (m: DescMethod): boolean => /^(List|Watch)/.test(m.name) && m.name !== "ListRunLogs" && m.name !== "WatchRun";
