import { join } from "node:path";
import { freePort } from "../../../testkit/free-port";
import { ADMIN_KEY, WORKER_KEY } from "../../../testkit/keys";
import { startServerProcess, type ServerProcess } from "../../../testkit/server-process";
import { removeDir, tempDir } from "../../../testkit/temp-dir";
import { waitFor } from "../../../testkit/wait-for";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";
import { rpc } from "./api";

export interface WorkerOptions {
  name: string;
  labels?: Record<string, string>;
  capacity?: number;
  /** Extra environment, e.g. ORCH_GOOSE_BIN for a scripted agent. */
  env?: Record<string, string>;
}

export interface Stack {
  url: string;
  adminKey: string;
  workerKey: string;
  server: ServerProcess;
  workers: Map<string, WorkerProcess>;
  /** Starts a worker and resolves once the server lists it online. */
  startWorker(opts: WorkerOptions): Promise<WorkerProcess>;
  stop(): Promise<void>;
}

/**
 * A real server on a free port with a temp SQLite database, serving the built dashboard; `env` adds
 * server settings (e.g. an identity provider). `port` may be chosen by the caller (a provider must
 * know the redirect URI before the server exists).
 */
export async function startStack({
  uiDist,
  workers = [],
  env = {},
  port,
}: {
  uiDist: string;
  workers?: WorkerOptions[];
  env?: Record<string, string>;
  port?: number;
}): Promise<Stack> {
  const dataDir = tempDir("fc-ui-e2e-");
  const server = await startServerProcess(dataDir, port ?? (await freePort()), { ORCH_UI_DIR: uiDist, ...env }, { readyTimeoutMs: 60_000 });
  const url = server.url;
  const procs = new Map<string, WorkerProcess>();
  const stack: Stack = {
    url,
    adminKey: ADMIN_KEY,
    workerKey: WORKER_KEY,
    server,
    workers: procs,
    async startWorker({ name, labels = {}, capacity = 2, env = {} }) {
      const p = startWorker(url, { name, labels, capacity, env, workDir: join(dataDir, `work-${name}`) });
      procs.set(name, p);
      await waitFor(
        async () => {
          if (!p.running) throw new Error(`worker ${name} exited:\n${p.output()}`);
          const { workers } = await rpc<{ workers?: { name: string; state: string }[] }>(url, ADMIN_KEY, "WorkerService/ListWorkers");
          return !!workers?.some((w) => w.name === name && w.state === "WORKER_STATE_ONLINE");
        },
        { what: `worker ${name} to come online`, timeoutMs: 60_000 },
      );
      return p;
    },
    async stop() {
      await Promise.all([...procs.values()].map((p) => p.stop("SIGTERM", 10_000)));
      await server.stop("SIGTERM", 10_000);
      removeDir(dataDir);
    },
  };
  // The workers start at the same time (each has its own name and work dir): a second worker no longer adds its start-up.
  await Promise.all(workers.map((w) => stack.startWorker(w)));
  return stack;
}
