import { readFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { CodexSandbox } from "./agents/codex";
import { SANDBOX_MODES, type SandboxMode } from "./sandbox/worker-sandbox";

const CODEX_SANDBOXES: readonly CodexSandbox[] = ["read-only", "workspace-write", "danger-full-access"];
const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/** Worker settings from ORCH_* variables (README.md, Configuration; .env.example lists each). */
export interface WorkerConfig {
  serverUrl: string;
  apiKey: string;
  name: string;
  hostname: string;
  labels: Record<string, string>;
  capacity: number;
  /** Agents this worker offers; default every built-in one. */
  agents: string[];
  gooseBin: string;
  claudeBin: string;
  codexBin: string;
  /** Codex's sandbox mode; "danger-full-access" where its sandbox cannot work (some containers). */
  codexSandbox?: CodexSandbox;
  workDir: string;
  /** Time between SIGTERM and SIGKILL when a run is cancelled or times out. */
  killGraceMs: number;
  /** Unacknowledged output kept in memory before the rest spills to disk. */
  maxBufferedBytes: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** pino level: trace, debug, info, warn, error, fatal or silent. */
  logLevel: string;
  /** Artifact files larger than this are skipped, as is any once a run's artifacts reach maxRunBytes. */
  artifactMaxFileBytes: number;
  artifactMaxRunBytes: number;
  /** The repository mirror cache is kept under this, least recently used mirrors evicted first. */
  mirrorCacheBytes: number;
  /** ORCH_SANDBOX: auto (bubblewrap where it works), bubblewrap (or refuse to start), off. */
  sandbox: SandboxMode;
  bwrapBin: string;
  /** More paths hidden from sandboxed runs. */
  sandboxHide: string[];
  /** Paths inside hidden ones bound back read-only for sandboxed runs. */
  sandboxShow: string[];
}

/**
 * Variables holding secrets of the worker itself. Once read into the config they are scrubbed from
 * the process's initial environment (scrub-initial-env.ts), which agents could otherwise read from /proc.
 */
export const SECRET_ENV = ["ORCH_API_KEY"] as const;

export function parseLabels(raw: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = pair.indexOf("=");
    if (i <= 0) throw new Error(`ORCH_WORKER_LABELS must be k=v pairs separated by commas, got "${pair}"`);
    labels[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return labels;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function codexSandbox(raw: string | undefined): CodexSandbox | undefined {
  if (!raw) return undefined;
  if (!(CODEX_SANDBOXES as readonly string[]).includes(raw)) {
    throw new Error(`ORCH_CODEX_SANDBOX must be one of ${CODEX_SANDBOXES.join(", ")}, got "${raw}"`);
  }
  return raw as CodexSandbox;
}

function sandboxMode(raw: string | undefined): SandboxMode {
  if (!raw) return "auto";
  if (!(SANDBOX_MODES as readonly string[]).includes(raw)) {
    throw new Error(`ORCH_SANDBOX must be one of ${SANDBOX_MODES.join(", ")}, got "${raw}"`);
  }
  return raw as SandboxMode;
}

function absolutePaths(env: NodeJS.ProcessEnv, name: string): string[] {
  const paths = (env[name] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const relative = paths.find((p) => !isAbsolute(p));
  if (relative !== undefined) throw new Error(`${name} takes absolute paths separated by commas, got "${relative}"`);
  return paths;
}

function logLevel(raw: string | undefined): string {
  if (!raw) return "info";
  if (!LOG_LEVELS.includes(raw)) throw new Error(`ORCH_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
  return raw;
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const apiKey = env.ORCH_API_KEY || (env.ORCH_API_KEY_FILE ? readFileSync(env.ORCH_API_KEY_FILE, "utf8").trim() : "");
  if (!apiKey) throw new Error("ORCH_API_KEY (or ORCH_API_KEY_FILE) is required: a worker-role API key (the server prints one on first start)");
  const host = hostname();
  return {
    serverUrl: env.ORCH_SERVER_URL ?? "http://localhost:8080",
    apiKey,
    // hostname-pid is unique per process yet stable across this process's reconnects.
    name: env.ORCH_WORKER_NAME || `${host}-${process.pid}`.replace(/[^A-Za-z0-9_.-]/g, "-"),
    hostname: host,
    labels: parseLabels(env.ORCH_WORKER_LABELS),
    capacity: Math.max(1, int(env, "ORCH_WORKER_CAPACITY", 2)),
    agents: (env.ORCH_WORKER_AGENTS ?? "goose,claude-code,codex,shell")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    gooseBin: env.ORCH_GOOSE_BIN ?? "goose",
    claudeBin: env.ORCH_CLAUDE_BIN ?? "claude",
    codexBin: env.ORCH_CODEX_BIN ?? "codex",
    codexSandbox: codexSandbox(env.ORCH_CODEX_SANDBOX),
    workDir: env.ORCH_WORK_DIR ?? join(tmpdir(), "flightcontrol-worker"),
    killGraceMs: int(env, "ORCH_KILL_GRACE_MS", 10_000),
    maxBufferedBytes: int(env, "ORCH_MAX_BUFFERED_BYTES", 32 * 1024 * 1024),
    reconnectMinMs: int(env, "ORCH_RECONNECT_MIN_MS", 200),
    reconnectMaxMs: int(env, "ORCH_RECONNECT_MAX_MS", 10_000),
    logLevel: logLevel(env.ORCH_LOG_LEVEL),
    artifactMaxFileBytes: int(env, "ORCH_ARTIFACT_MAX_FILE_BYTES", 50 * 1024 * 1024),
    artifactMaxRunBytes: int(env, "ORCH_ARTIFACT_MAX_RUN_BYTES", 200 * 1024 * 1024),
    mirrorCacheBytes: int(env, "ORCH_WORKER_MIRROR_CACHE_MB", 10 * 1024) * 1024 * 1024,
    sandbox: sandboxMode(env.ORCH_SANDBOX),
    bwrapBin: env.ORCH_BWRAP_BIN || "bwrap",
    sandboxHide: absolutePaths(env, "ORCH_SANDBOX_HIDE"),
    sandboxShow: absolutePaths(env, "ORCH_SANDBOX_SHOW"),
  };
}
