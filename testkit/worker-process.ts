import { join } from "node:path";
import { startNodeScript, type Child, type ChildOptions } from "./child-process";
import { WORKER_KEY } from "./keys";
import { FAKE_CLAUDE, FAKE_CODEX, FAKE_GOOSE, REPO } from "./paths";
import { removeDir, tempDir } from "./temp-dir";

export interface WorkerOptions {
  name: string;
  capacity?: number;
  /** "k=v,k2=v2" or a record. */
  labels?: string | Record<string, string>;
  agents?: string;
  /** Kept as given and not removed; by default a temp dir removed when the worker exits. */
  workDir?: string;
  key?: string;
  env?: Record<string, string>;
  onLine?: ChildOptions["onLine"];
  /** A command the worker starts through, e.g. setpriv to run it as another user. */
  launcher?: string[];
}

export interface WorkerProcess extends Child {
  workDir: string;
}

const labelText = (labels: WorkerOptions["labels"] = "") =>
  typeof labels === "string"
    ? labels
    : Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");

/**
 * A real worker process (worker/src/main.ts) with the fake agents shipped with the worker's tests,
 * a short kill grace and fast reconnects. `env` overrides any of it.
 */
export function startWorker(serverUrl: string, opts: WorkerOptions): WorkerProcess {
  const ownDir = opts.workDir === undefined;
  const workDir = opts.workDir ?? tempDir(`fc-worker-${opts.name}-`);
  const proc = startNodeScript(join(REPO, "worker/src/main.ts"), {
    name: opts.name,
    cwd: REPO,
    onLine: opts.onLine,
    launcher: opts.launcher,
    env: {
      ...process.env,
      ORCH_SERVER_URL: serverUrl,
      ORCH_API_KEY: opts.key ?? WORKER_KEY,
      ORCH_WORKER_NAME: opts.name,
      ORCH_WORKER_CAPACITY: String(opts.capacity ?? 2),
      ORCH_WORKER_LABELS: labelText(opts.labels),
      ORCH_WORKER_AGENTS: opts.agents ?? "goose,shell,claude-code,codex",
      ORCH_GOOSE_BIN: FAKE_GOOSE,
      ORCH_CLAUDE_BIN: FAKE_CLAUDE,
      ORCH_CODEX_BIN: FAKE_CODEX,
      ORCH_WORK_DIR: workDir,
      ORCH_KILL_GRACE_MS: "1000",
      ORCH_RECONNECT_MIN_MS: "50",
      ORCH_RECONNECT_MAX_MS: "500",
      // The agents' own homes, where the fakes keep sessions: never the machine's ~/.claude or ~/.codex.
      CLAUDE_CONFIG_DIR: join(workDir, "claude-config"),
      CODEX_HOME: join(workDir, "codex-home"),
      // Most suites share files with their agents under /tmp (marker files, the fake agents' records),
      // which a sandboxed run cannot see: the sandbox suites (worker/test/sandbox, the security suite)
      // turn it on.
      ORCH_SANDBOX: "off",
      ...opts.env,
    },
  });
  const exited = ownDir
    ? proc.exited.then((code) => {
        removeDir(workDir);
        return code;
      })
    : proc.exited;
  return Object.assign(proc, { workDir, exited });
}
