import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { WORKER_KEY } from "./server";

export const REPO = resolve(import.meta.dirname, "../../..");
export const FIXTURES = join(REPO, "worker/test/fixtures");

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface WorkerOptions {
  name: string;
  capacity?: number;
  labels?: string;
  agents?: string;
  env?: Record<string, string>;
}

/** A real worker process (worker/src/main.ts) using the fake agents shipped with the tests. */
export function startWorker(serverUrl: string, opts: WorkerOptions): WorkerProcess {
  const workDir = mkdtempSync(join(tmpdir(), `fc-worker-${opts.name}-`));
  // node itself, not the tsx CLI: the CLI runs the script in a child that a SIGKILL of the CLI would orphan.
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "worker/src/main.ts")], {
    cwd: REPO,
    env: {
      ...process.env,
      ORCH_SERVER_URL: serverUrl,
      ORCH_API_KEY: WORKER_KEY,
      ORCH_WORKER_NAME: opts.name,
      ORCH_WORKER_CAPACITY: String(opts.capacity ?? 2),
      ORCH_WORKER_LABELS: opts.labels ?? "",
      ORCH_WORKER_AGENTS: opts.agents ?? "goose,shell,claude-code,codex",
      ORCH_GOOSE_BIN: join(FIXTURES, "fake-goose"),
      ORCH_CLAUDE_BIN: join(FIXTURES, "fake-claude"),
      ORCH_CODEX_BIN: join(FIXTURES, "fake-codex"),
      ORCH_WORK_DIR: workDir,
      ORCH_KILL_GRACE_MS: "1000",
      ORCH_RECONNECT_MIN_MS: "50",
      ORCH_RECONNECT_MAX_MS: "500",
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => {
    rmSync(workDir, { recursive: true, force: true });
    r(code);
  }));
  return {
    name: opts.name,
    child,
    output: () => out,
    exited,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
