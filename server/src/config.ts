import { join, resolve } from "node:path";

/** Server settings, read once from ORCH_* environment variables (DESIGN.md section 7). */
export interface ServerConfig {
  port: number;
  host: string;
  databaseUrl: string;
  /** Where SQLite and the generated master key live. */
  dataDir: string;
  masterKey?: string;
  defaultAdminKey?: string;
  workerKey?: string;
  workerLostAfterMs: number;
  /** An assigned run that the worker has not started within this time is requeued. */
  assignAckTimeoutMs: number;
  heartbeatIntervalMs: number;
  logFlushIntervalMs: number;
  logFlushBytes: number;
  /** Extra time the server allows past a run's deadline before it times the run out itself. */
  deadlineGraceMs: number;
  defaultRunTimeoutSeconds: number;
  logLevel: string;
  tlsCert?: string;
  tlsKey?: string;
  /** The built dashboard; served when the folder exists. */
  uiDir: string;
  maxMessageBytes: number;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

export function loadServerConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const dataDir = resolve(env.ORCH_DATA_DIR ?? "data");
  return {
    port: intFrom(env, "ORCH_PORT", 8080),
    host: env.ORCH_HOST ?? "0.0.0.0",
    databaseUrl: env.ORCH_DATABASE_URL ?? `sqlite:${join(dataDir, "flightcontrol.db")}`,
    dataDir,
    masterKey: env.ORCH_MASTER_KEY || undefined,
    defaultAdminKey: env.ORCH_DEFAULT_ADMIN_KEY || undefined,
    workerKey: env.ORCH_WORKER_KEY || undefined,
    workerLostAfterMs: intFrom(env, "ORCH_WORKER_LOST_AFTER_MS", 15_000),
    assignAckTimeoutMs: intFrom(env, "ORCH_ASSIGN_ACK_TIMEOUT_MS", 10_000),
    heartbeatIntervalMs: intFrom(env, "ORCH_HEARTBEAT_INTERVAL_MS", 5_000),
    logFlushIntervalMs: intFrom(env, "ORCH_LOG_FLUSH_INTERVAL_MS", 50),
    logFlushBytes: intFrom(env, "ORCH_LOG_FLUSH_BYTES", 64 * 1024),
    deadlineGraceMs: intFrom(env, "ORCH_DEADLINE_GRACE_MS", 30_000),
    defaultRunTimeoutSeconds: intFrom(env, "ORCH_DEFAULT_RUN_TIMEOUT_SECONDS", 3600),
    logLevel: env.ORCH_LOG_LEVEL ?? "info",
    tlsCert: env.ORCH_TLS_CERT || undefined,
    tlsKey: env.ORCH_TLS_KEY || undefined,
    uiDir: resolve(env.ORCH_UI_DIR ?? join(import.meta.dirname ?? ".", "../../ui/dist")),
    maxMessageBytes: intFrom(env, "ORCH_MAX_MESSAGE_BYTES", 8 * 1024 * 1024),
  };
}
