import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { waitUntil } from "./wait";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

class Proc {
  private out = "";
  readonly exited: Promise<void>;
  constructor(readonly name: string, readonly child: ChildProcess) {
    child.stdout?.on("data", (d: Buffer) => (this.out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((r) => child.once("exit", () => r()));
  }
  get output(): string {
    return this.out;
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (this.running) this.child.kill(signal);
    const timer = setTimeout(() => this.running && this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

function node(script: string, env: Record<string, string>, name: string): Proc {
  // node with the tsx loader rather than npm scripts: signals then reach the process itself.
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, script)], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Proc(name, child);
}

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
  server: Proc;
  workers: Map<string, Proc>;
  startWorker(opts: WorkerOptions): Promise<Proc>;
  stop(): Promise<void>;
}

/** A real server on a free port with a temp SQLite database, serving the built dashboard. */
export async function startStack({ uiDist, workers = [] }: { uiDist: string; workers?: WorkerOptions[] }): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), "fc-ui-e2e-"));
  const port = await freePort();
  const adminKey = `fc_e2e_admin_${randomBytes(12).toString("hex")}`;
  const workerKey = `fc_e2e_worker_${randomBytes(12).toString("hex")}`;
  const url = `http://127.0.0.1:${port}`;
  const server = node(
    "server/src/main.ts",
    {
      ORCH_PORT: String(port),
      ORCH_HOST: "127.0.0.1",
      ORCH_DATA_DIR: dataDir,
      ORCH_DEFAULT_ADMIN_KEY: adminKey,
      ORCH_WORKER_KEY: workerKey,
      ORCH_UI_DIR: uiDist,
      ORCH_LOG_LEVEL: "warn",
    },
    "server",
  );
  await waitUntil(
    async () => {
      if (!server.running) throw new Error(`server exited:\n${server.output}`);
      return fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    },
    { what: "the server to answer /healthz", timeoutMs: 60_000 },
  );

  const procs = new Map<string, Proc>();
  const stack: Stack = {
    url,
    adminKey,
    workerKey,
    server,
    workers: procs,
    async startWorker({ name, labels = {}, capacity = 2, env = {} }) {
      const p = node(
        "worker/src/main.ts",
        {
          ORCH_SERVER_URL: url,
          ORCH_API_KEY: workerKey,
          ORCH_WORKER_NAME: name,
          ORCH_WORKER_LABELS: Object.entries(labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(","),
          ORCH_WORKER_CAPACITY: String(capacity),
          ORCH_WORK_DIR: join(dataDir, `work-${name}`),
          ...env,
        },
        `worker ${name}`,
      );
      procs.set(name, p);
      await waitUntil(
        async () => {
          if (!p.running) throw new Error(`worker ${name} exited:\n${p.output}`);
          const res = await fetch(`${url}/flightcontrol.v1.WorkerService/ListWorkers`, {
            method: "POST",
            headers: { Authorization: `Bearer ${adminKey}`, "Content-Type": "application/json" },
            body: "{}",
          });
          const body = (await res.json()) as { workers?: { name: string; state: string }[] };
          return !!body.workers?.some((w) => w.name === name && w.state === "WORKER_STATE_ONLINE");
        },
        { what: `worker ${name} to come online`, timeoutMs: 60_000 },
      );
      return p;
    },
    async stop() {
      await Promise.all([...procs.values()].map((p) => p.stop()));
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  for (const w of workers) await stack.startWorker(w);
  return stack;
}
