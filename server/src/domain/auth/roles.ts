import type { DescService } from "@bufbuild/protobuf";
import { Role } from "../../gen/flightcontrol/v1/api_key_pb";
import { CredentialService } from "../../gen/flightcontrol/v1/credential_pb";
import { JobService } from "../../gen/flightcontrol/v1/job_pb";
import { RunService } from "../../gen/flightcontrol/v1/run_pb";
import { ScheduleService } from "../../gen/flightcontrol/v1/schedule_pb";
import { SkillService } from "../../gen/flightcontrol/v1/skill_pb";
import { SystemService } from "../../gen/flightcontrol/v1/system_pb";
import { WorkerService } from "../../gen/flightcontrol/v1/worker_pb";
import { ApiKeyService } from "../../gen/flightcontrol/v1/api_key_pb";
import { PersonService } from "../../gen/flightcontrol/v1/person_pb";
import { WorkspaceService } from "../../gen/flightcontrol/v1/workspace_pb";

const { ADMIN, OPERATOR, VIEWER, WORKER } = Role;
const READ = [ADMIN, OPERATOR, VIEWER];
const OPERATE = [ADMIN, OPERATOR];
const ADMIN_ONLY = [ADMIN];

/**
 * Every RPC that needs a key, and the roles that may call it. Methods not listed are refused.
 * WorkerService.Connect is for worker keys only, not even admin ones: its Assigns carry decrypted
 * credentials, and a worker key can be bound to labels (worker-hello.ts) where an admin key cannot.
 */
const table: Array<[DescService, Record<string, Role[]>]> = [
  [
    JobService,
    {
      createJob: OPERATE,
      getJob: READ,
      listJobs: READ,
      updateJob: OPERATE,
      deleteJob: OPERATE,
      triggerJob: OPERATE,
      importRecipe: OPERATE,
      exportRecipe: READ,
    },
  ],
  // Skills are parts of jobs: the same roles as jobs.
  [SkillService, { createSkill: OPERATE, getSkill: READ, listSkills: READ, updateSkill: OPERATE, deleteSkill: OPERATE }],
  [
    RunService,
    {
      createRun: OPERATE,
      getRun: READ,
      listRuns: READ,
      cancelRun: OPERATE,
      retryRun: OPERATE,
      continueRun: OPERATE,
      listRunLogs: READ,
      watchRun: READ,
      watchRuns: READ,
      listArtifacts: READ,
      downloadArtifact: READ,
    },
  ],
  // Listing shows names only (values are write-only), which operators need to attach credentials to jobs.
  [CredentialService, { createCredential: ADMIN_ONLY, listCredentials: READ, updateCredential: ADMIN_ONLY, deleteCredential: ADMIN_ONLY }],
  [WorkerService, { listWorkers: READ, getWorker: READ, drainWorker: OPERATE, watchWorkers: READ, connect: [WORKER] }],
  [
    ScheduleService,
    {
      createSchedule: OPERATE,
      getSchedule: READ,
      listSchedules: READ,
      updateSchedule: OPERATE,
      deleteSchedule: OPERATE,
      pauseSchedule: OPERATE,
      resumeSchedule: OPERATE,
    },
  ],
  [ApiKeyService, { createApiKey: ADMIN_ONLY, listApiKeys: ADMIN_ONLY, revokeApiKey: ADMIN_ONLY, whoAmI: [ADMIN, OPERATOR, VIEWER, WORKER] }],
  [SystemService, { getStats: READ, getInfo: READ }],
  // Reading is for every role (the dashboard's workspace switcher and members page); which
  // workspaces a caller sees, and who may create or delete them (instance admins), is
  // domain/workspaces/workspaces.ts's business.
  [
    WorkspaceService,
    {
      createWorkspace: ADMIN_ONLY,
      getWorkspace: READ,
      listWorkspaces: READ,
      updateWorkspace: ADMIN_ONLY,
      deleteWorkspace: ADMIN_ONLY,
      addMember: ADMIN_ONLY,
      listMembers: READ,
      updateMember: ADMIN_ONLY,
      removeMember: ADMIN_ONLY,
    },
  ],
  // People are instance-level: the table lets a workspace admin through, and domain/auth/people.ts
  // refuses anyone but an instance admin, except a person ending their own sessions (any role).
  [PersonService, { listPeople: ADMIN_ONLY, endSessions: READ, deletePerson: ADMIN_ONLY }],
];

/** Keyed by "package.Service/Method", the form a request's URL path names. */
export const rolePolicy: ReadonlyMap<string, ReadonlySet<Role>> = new Map(
  table.flatMap(([service, methods]) =>
    service.methods.map((m) => {
      const roles = methods[m.localName];
      if (!roles) throw new Error(`role table has no entry for ${service.typeName}/${m.name}`);
      return [`${service.typeName}/${m.name}`, new Set(roles)] as const;
    }),
  ),
);

/**
 * What a signed-in person who is a member of no workspace may still call: enough for the dashboard
 * to say who they are and that they have no workspace yet, and PersonService, which is in no
 * workspace (its domain decides; such a person may end their own sessions).
 */
export const workspaceFreeMethods: ReadonlySet<string> = new Set([
  `${ApiKeyService.typeName}/${ApiKeyService.method.whoAmI.name}`,
  `${WorkspaceService.typeName}/${WorkspaceService.method.listWorkspaces.name}`,
  ...PersonService.methods.map((m) => `${PersonService.typeName}/${m.name}`),
]);

/** Services anyone may call: probes and schema discovery carry no data. */
export const publicServices: ReadonlySet<string> = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]);

export const roleName = (role: Role): string => Role[role]?.toLowerCase() ?? "unknown";
