import type { ServerConfig } from "./config";
import type { KeyStore } from "./domain/auth/api-keys";
import type { Credentials } from "./domain/credentials";
import type { Dispatcher } from "./domain/dispatch/dispatcher";
import type { Leases } from "./domain/dispatch/leases";
import type { OutageRetry } from "./domain/dispatch/outage-retry";
import type { Registry } from "./domain/dispatch/registry";
import type { WorkerRecords } from "./domain/dispatch/worker-records";
import type { EventBus } from "./domain/events";
import type { LogHub } from "./domain/logs/hub";
import type { Lifecycle } from "./domain/runs/lifecycle";
import type { Scheduler } from "./domain/schedules/scheduler";
import type { Logger } from "./logger";
import type { Metrics } from "./observability/metrics";
import type { Database } from "./storage/data-source";
import type { LogStore } from "./storage/log-store";
import type { RunStore } from "./storage/run-store";
import type { Sql } from "./storage/sql";

/** Everything the RPC services need, built once by app.ts. */
export interface AppContext {
  config: ServerConfig;
  db: Database;
  sql: Sql;
  log: Logger;
  events: EventBus;
  keys: KeyStore;
  credentials: Credentials;
  runs: RunStore;
  logs: LogStore;
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
}
