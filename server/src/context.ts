import type { ServerConfig } from "./config";
import type { ApiKeys } from "./domain/auth/api-keys";
import type { IdentityStreams } from "./domain/auth/identity-streams";
import type { People } from "./domain/auth/people";
import type { ArtifactRetention } from "./domain/artifacts/artifact-retention";
import type { ArtifactUploads } from "./domain/artifacts/artifact-uploads";
import type { Artifacts } from "./domain/artifacts/artifacts";
import type { Credentials } from "./domain/credentials";
import type { Dispatcher } from "./domain/dispatch/dispatcher";
import type { Leases } from "./domain/dispatch/leases";
import type { OutageRetry } from "./domain/dispatch/outage-retry";
import type { Registry } from "./domain/dispatch/registry";
import type { WorkerRecords } from "./domain/dispatch/worker-records";
import type { EventBus } from "./domain/events";
import type { LogHub } from "./domain/logs/hub";
import type { McpSecrets } from "./domain/mcp/secrets";
import type { Lifecycle } from "./domain/runs/lifecycle";
import type { Scheduler } from "./domain/schedules/scheduler";
import type { Skills } from "./domain/skills/skills";
import type { Workspaces } from "./domain/workspaces/workspaces";
import type { Logger } from "./logger";
import type { Metrics } from "./observability/metrics";
import type { ArtifactStore } from "./storage/artifact-store";
import type { BlobStore } from "./storage/blobs/blob-store";
import type { Database } from "./storage/data-source";
import type { JobStore } from "./storage/job-store";
import type { LogStore } from "./storage/log-store";
import type { RunStore } from "./storage/run-store";
import type { ScheduleStore } from "./storage/schedule-store";
import type { Sql } from "./storage/sql";

/**
 * Everything app.ts builds, in one record: the wiring, and what tests reach into (the database,
 * the scheduler). Each RPC service declares the part it uses in its own `XServiceDeps`.
 */
export interface AppContext {
  config: ServerConfig;
  db: Database;
  sql: Sql;
  log: Logger;
  events: EventBus;
  keys: ApiKeys;
  /** Open streams by API key id, ended when the key is revoked. */
  identities: IdentityStreams;
  credentials: Credentials;
  /** Seals MCP env/header literals before a spec is stored. */
  mcpSecrets: McpSecrets;
  jobs: JobStore;
  runs: RunStore;
  logs: LogStore;
  schedules: ScheduleStore;
  /** Skills and their versions (SkillService, run creation, Assigns). */
  skills: Skills;
  lifecycle: Lifecycle;
  registry: Registry;
  dispatcher: Dispatcher;
  leases: Leases;
  /** Background database work that is retried once the database is back from an outage. */
  outage: OutageRetry;
  scheduler: Scheduler;
  workers: WorkerRecords;
  hub: LogHub;
  startedAt: number;
  version: string;
  metrics: Metrics;
  /** Artifact metadata (the database) and bytes (the blob store). */
  artifactStore: ArtifactStore;
  blobs: BlobStore;
  artifacts: Artifacts;
  artifactUploads: ArtifactUploads;
  artifactRetention: ArtifactRetention;
  /** Workspaces and their members; which one a request acts in. */
  workspaces: Workspaces;
  /** People who have signed in: listing them, ending their sessions, forgetting them (PersonService). */
  people: People;
}
