import { join, resolve } from "node:path";
import type { OidcSettings } from "./domain/auth/oidc";

/** Server settings, read once from ORCH_* environment variables (README.md, Configuration; .env.example lists each). */
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
  /** Connection and stream bounds against clients that hold resources without using them. */
  limits: ConnectionLimits;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** Serve the dashboard's source maps (.map files); off unless ORCH_UI_SOURCEMAPS=1. */
  uiSourceMaps: boolean;
  artifacts: ArtifactSettings;
  /** People sign in through this identity provider; unset: API keys only. */
  oidc?: OidcSettings;
  /** Lower-case emails that are instance admin when they sign in (ORCH_ADMIN_EMAILS); empty: the first person to sign in is. */
  adminEmails: string[];
  /** ORCH_PUBLIC_URL: the dashboard's address as browsers see it (behind a proxy); else each request's Host. */
  publicUrl?: string;
  /** How long a sign-in lasts. */
  sessionTtlSeconds: number;
  /** ORCH_OIDC_TRUST_UNVERIFIED_EMAIL=1: accept emails the provider does not mark verified (it never sends email_verified). */
  oidcTrustUnverifiedEmail: boolean;
  /** ORCH_OIDC_ALLOWED_DOMAINS, lower case: the email domains whose people may sign in; empty: anyone the provider vouches for. */
  oidcAllowedDomains: string[];
}

/**
 * Where artifact bytes go and how long they are kept. The filesystem store and uploads in progress
 * live under <dataDir>/artifacts, derived when the server starts (so a changed dataDir moves them).
 */
export interface ArtifactSettings {
  /** The filesystem unless ORCH_ARTIFACT_STORE names an s3:// bucket. */
  store:
    | { kind: "fs" }
    | {
        kind: "s3";
        bucket: string;
        prefix: string;
        endpoint?: string;
        region: string;
        accessKeyId?: string;
        secretAccessKey?: string;
        forcePathStyle: boolean;
      };
  /** Artifacts older than this are deleted; 0 keeps them forever. */
  retentionDays: number;
}

/**
 * Every bound on what a client may hold open. Idle and half-sent connections are closed after these
 * timeouts; streams are counted per connection, per API key and per client address.
 */
export interface ConnectionLimits {
  /** A new connection must send its first request bytes (cleartext) or finish TLS within this. */
  prefaceTimeoutMs: number;
  /** HTTP/1.1: the request's headers must be complete within this. */
  headersTimeoutMs: number;
  /** The whole request (headers and body) must arrive within this; streaming requests are exempt. */
  requestTimeoutMs: number;
  /** A keep-alive HTTP/1.1 connection, or an HTTP/2 session with no open stream, closes after this. */
  idleTimeoutMs: number;
  maxConnectionsPerAddress: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS. */
  maxStreamsPerConnection: number;
  /** Open streaming RPCs per API key (all workers usually share one key: leave room for the fleet). */
  maxStreamsPerKey: number;
  /** Open streaming RPCs per client address, with or without a key. */
  maxStreamsPerAddress: number;
  /** Open keyless streams (grpc.health.v1.Health/Watch, reflection) per client address … */
  maxAnonymousStreamsPerAddress: number;
  /** … and in all. */
  maxAnonymousStreams: number;
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
    limits: loadConnectionLimits(env),
    metricsToken: env.ORCH_METRICS_TOKEN || undefined,
    uiSourceMaps: env.ORCH_UI_SOURCEMAPS === "1",
    artifacts: loadArtifactSettings(env),
    oidc: loadOidcSettings(env),
    adminEmails: (env.ORCH_ADMIN_EMAILS ?? "")
      .split(",")
      .map((e) => e.trim().toLowerCase())
      .filter(Boolean),
    publicUrl: loadPublicUrl(env),
    sessionTtlSeconds: Math.max(1, intFrom(env, "ORCH_SESSION_TTL_HOURS", 12)) * 3600,
    oidcTrustUnverifiedEmail: env.ORCH_OIDC_TRUST_UNVERIFIED_EMAIL === "1",
    oidcAllowedDomains: loadAllowedDomains(env),
  };
}

function loadOidcSettings(env: NodeJS.ProcessEnv): OidcSettings | undefined {
  const issuer = env.ORCH_OIDC_ISSUER?.trim();
  if (!issuer) return undefined;
  if (!/^https?:\/\//.test(issuer)) throw new Error(`ORCH_OIDC_ISSUER must be the provider's issuer URL (https://…), got "${issuer}"`);
  const clientId = env.ORCH_OIDC_CLIENT_ID?.trim();
  if (!clientId) throw new Error("ORCH_OIDC_ISSUER is set but ORCH_OIDC_CLIENT_ID is not: set the client id registered with the identity provider");
  const scopes = env.ORCH_OIDC_SCOPES?.trim() || "openid email profile";
  if (!scopes.split(/\s+/).includes("openid")) throw new Error(`ORCH_OIDC_SCOPES must include openid, got "${scopes}"`);
  return { issuer, clientId, clientSecret: env.ORCH_OIDC_CLIENT_SECRET || undefined, scopes };
}

function loadAllowedDomains(env: NodeJS.ProcessEnv): string[] {
  const domains = (env.ORCH_OIDC_ALLOWED_DOMAINS ?? "")
    .split(",")
    .map((d) => d.trim().toLowerCase().replace(/^@/, ""))
    .filter(Boolean);
  for (const d of domains) {
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(d))
      throw new Error(`ORCH_OIDC_ALLOWED_DOMAINS must be comma-separated email domains such as example.com,example.org; "${d}" is not one`);
  }
  return domains;
}

function loadPublicUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.ORCH_PUBLIC_URL?.trim();
  if (!raw) return undefined;
  if (!/^https?:\/\/[^/]+\/?$/.test(raw))
    throw new Error(`ORCH_PUBLIC_URL must be an origin such as https://flightcontrol.example.com, got "${raw}"`);
  return raw.replace(/\/$/, "");
}

function loadArtifactSettings(env: NodeJS.ProcessEnv): ArtifactSettings {
  const raw = env.ORCH_ARTIFACT_STORE ?? "";
  let store: ArtifactSettings["store"] = { kind: "fs" };
  if (raw.startsWith("s3://")) {
    const [bucket, ...rest] = raw.slice("s3://".length).split("/");
    if (!bucket) throw new Error(`ORCH_ARTIFACT_STORE must name a bucket, as s3://bucket or s3://bucket/prefix; got "${raw}"`);
    const prefix = rest.filter(Boolean).join("/");
    store = {
      kind: "s3",
      bucket,
      prefix: prefix ? `${prefix}/` : "",
      endpoint: env.ORCH_S3_ENDPOINT || undefined,
      region: env.ORCH_S3_REGION || "us-east-1",
      accessKeyId: env.ORCH_S3_ACCESS_KEY_ID || undefined,
      secretAccessKey: env.ORCH_S3_SECRET_ACCESS_KEY || undefined,
      forcePathStyle: env.ORCH_S3_FORCE_PATH_STYLE === "1" || env.ORCH_S3_FORCE_PATH_STYLE === "true",
    };
  } else if (raw !== "" && raw !== "fs") {
    throw new Error(`ORCH_ARTIFACT_STORE must be empty or "fs" (files under ORCH_DATA_DIR/artifacts) or s3://bucket/prefix; got "${raw}"`);
  }
  return { store, retentionDays: intFrom(env, "ORCH_ARTIFACT_RETENTION_DAYS", 30) };
}

function loadConnectionLimits(env: NodeJS.ProcessEnv): ConnectionLimits {
  const limits: ConnectionLimits = {
    prefaceTimeoutMs: intFrom(env, "ORCH_PREFACE_TIMEOUT_MS", 10_000),
    headersTimeoutMs: intFrom(env, "ORCH_HEADERS_TIMEOUT_MS", 20_000),
    requestTimeoutMs: intFrom(env, "ORCH_REQUEST_TIMEOUT_MS", 60_000),
    idleTimeoutMs: intFrom(env, "ORCH_IDLE_TIMEOUT_MS", 65_000),
    maxConnectionsPerAddress: intFrom(env, "ORCH_MAX_CONNECTIONS_PER_ADDRESS", 2048),
    maxStreamsPerConnection: intFrom(env, "ORCH_MAX_STREAMS_PER_CONNECTION", 256),
    maxStreamsPerKey: intFrom(env, "ORCH_MAX_STREAMS_PER_KEY", 4096),
    maxStreamsPerAddress: intFrom(env, "ORCH_MAX_STREAMS_PER_ADDRESS", 4096),
    maxAnonymousStreamsPerAddress: intFrom(env, "ORCH_MAX_ANONYMOUS_STREAMS_PER_ADDRESS", 16),
    maxAnonymousStreams: intFrom(env, "ORCH_MAX_ANONYMOUS_STREAMS", 256),
  };
  for (const [name, value] of Object.entries(limits)) {
    if (value === 0) throw new Error(`ORCH_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()} must be at least 1`);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new Error(`ORCH_HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs}) must not exceed ORCH_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs})`);
  }
  return limits;
}
