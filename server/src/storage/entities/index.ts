import { ApiKeyEntity } from "./api-key";
import { ArtifactEntity } from "./artifact";
import { CredentialEntity } from "./credential";
import { JobDefinitionEntity } from "./job-definition";
import { JobLogEntity } from "./job-log";
import { JobRunEntity } from "./job-run";
import { PersonEntity, SessionEntity } from "./person";
import { RunEventEntity } from "./run-event";
import { ScheduleEntity } from "./schedule";
import { SkillEntity, SkillFileEntity, SkillVersionEntity } from "./skill";
import { WorkerEntity } from "./worker";
import { WorkspaceEntity, WorkspaceMemberEntity } from "./workspace";

export const entities = [
  WorkspaceEntity,
  WorkspaceMemberEntity,
  PersonEntity,
  SessionEntity,
  JobDefinitionEntity,
  JobRunEntity,
  JobLogEntity,
  RunEventEntity,
  CredentialEntity,
  ApiKeyEntity,
  WorkerEntity,
  ScheduleEntity,
  ArtifactEntity,
  SkillEntity,
  SkillVersionEntity,
  SkillFileEntity,
];

export {
  ApiKeyEntity,
  ArtifactEntity,
  CredentialEntity,
  JobDefinitionEntity,
  JobLogEntity,
  JobRunEntity,
  PersonEntity,
  RunEventEntity,
  ScheduleEntity,
  SessionEntity,
  SkillEntity,
  SkillFileEntity,
  SkillVersionEntity,
  WorkerEntity,
  WorkspaceEntity,
  WorkspaceMemberEntity,
};
export { DEFAULT_WORKSPACE_ID, DEFAULT_WORKSPACE_NAME } from "./workspace";
export type { WorkspaceMemberRow, WorkspaceRow } from "./workspace";
export type { ApiKeyRow } from "./api-key";
export type { ArtifactKindColumn, ArtifactRow } from "./artifact";
export type { CredentialRow } from "./credential";
export type { JobDefinitionRow } from "./job-definition";
export type { JobLogRow } from "./job-log";
export type { JobRunRow, RunStatusColumn, TriggerColumn } from "./job-run";
export type { PersonRow, SessionRow } from "./person";
export type { RunEventRow } from "./run-event";
export type { MisfireColumn, OverlapColumn, ScheduleRow } from "./schedule";
export type { SkillFileRow, SkillRow, SkillVersionRow } from "./skill";
export type { WorkerRow, WorkerStateColumn } from "./worker";
