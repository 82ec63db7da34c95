import { join } from "node:path";
import { startNodeScript, type Child } from "./child-process";
import { ADMIN_KEY, WORKER_KEY } from "./keys";
import { REPO } from "./paths";
import { pollUntil } from "./poll-until";

export interface ServerProcess extends Child {
  url: string;
  port: number;
  dataDir: string;
}

export interface ServerProcessOptions {
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  readyTimeoutMs?: number;
  /** A command that execs its arguments (the node command line), e.g. to set up the process first; it must keep the pid. */
  launcher?: string[];
}

/**
 * The server as its own process (server/src/main.ts) on 127.0.0.1:`port`, with its SQLite file in
 * `dataDir` and the test keys; resolves once /readyz answers. For tests that SIGKILL or restart it,
 * the dashboard e2e tests and the bench. `env` overrides any ORCH_* setting.
 */
export async function startServerProcess(
  dataDir: string,
  port: number,
  env: Record<string, string> = {},
  opts: ServerProcessOptions = {},
): Promise<ServerProcess> {
  const proc = startNodeScript(join(REPO, "server/src/main.ts"), {
    name: "server",
    cwd: REPO,
    nodeArgs: opts.nodeArgs,
    launcher: opts.launcher,
    env: {
      ...process.env,
      ORCH_PORT: String(port),
      ORCH_HOST: "127.0.0.1",
      ORCH_DATA_DIR: dataDir,
      ORCH_DEFAULT_ADMIN_KEY: ADMIN_KEY,
      ORCH_WORKER_KEY: WORKER_KEY,
      ORCH_LOG_LEVEL: "warn",
      ORCH_UI_DIR: join(dataDir, "no-ui"),
      ...env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await pollUntil(
      async () => {
        if (!proc.running) throw new Error(`the server exited during start:\n${proc.output()}`);
        return fetch(`${url}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      { timeoutMs: opts.readyTimeoutMs ?? 20_000, what: "the server to be ready" },
    );
  } catch (err) {
    await proc.kill("SIGKILL");
    throw err;
  }
  return Object.assign(proc, { url, port, dataDir });
}
