import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { freePort, removeDir, REPO, startChild, tempDir, type Child } from "./procs";
import { sleep } from "./util";

export const ADMIN_KEY = "fc_bench_admin_key_0123456789abcdef";
export const WORKER_KEY = "fc_bench_worker_key_0123456789abcdef";

export interface BenchServer {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  dbPath: string;
  proc: Child;
  /** A read-only connection to the server's SQLite file (WAL: never blocks the server's writer). */
  db(): Database.Database;
  stop(): Promise<void>;
}

export interface ServerOptions {
  env?: Record<string, string>;
  /** Directory for `node --cpu-prof` output (one file per thread); no profiling when absent. */
  cpuProfDir?: string;
}

/** The real server (server/src/main.ts) as its own process, on 127.0.0.1, with SQLite in a temp dir. */
export async function startServer(opts: ServerOptions = {}): Promise<BenchServer> {
  const dataDir = tempDir("fc-bench-");
  const port = await freePort();
  const dbPath = join(dataDir, "flightcontrol.db");
  const nodeArgs = ["--import", "tsx"];
  if (opts.cpuProfDir) {
    mkdirSync(opts.cpuProfDir, { recursive: true });
    // Node names each file CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: the main thread is
    // thread 0; tsx's module loader runs in a second thread with its own file.
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`);
  }
  const proc = startChild(process.execPath, [...nodeArgs, join(REPO, "server/src/main.ts")], {
    name: "server",
    cwd: REPO,
    env: {
      ...process.env,
      ORCH_PORT: String(port),
      ORCH_HOST: "127.0.0.1",
      ORCH_DATA_DIR: dataDir,
      ORCH_DATABASE_URL: `sqlite:${dbPath}`,
      ORCH_DEFAULT_ADMIN_KEY: ADMIN_KEY,
      ORCH_WORKER_KEY: WORKER_KEY,
      ORCH_LOG_LEVEL: "warn",
      ORCH_UI_DIR: join(dataDir, "no-ui"),
      NODE_ENV: "production",
      ...opts.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`server exited during start:\n${proc.output()}`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await proc.stop("SIGKILL");
      throw new Error(`server not ready after 60 s:\n${proc.output()}`);
    }
    await sleep(50);
  }
  let ro: Database.Database | undefined;
  return {
    url, port, pid: proc.pid, dataDir, dbPath, proc,
    db() {
      ro ??= new Database(dbPath, { readonly: true, fileMustExist: true });
      return ro;
    },
    async stop() {
      ro?.close();
      ro = undefined;
      // SIGTERM: main.ts closes gracefully and exits, which is also when --cpu-prof writes its file.
      const code = await proc.stop("SIGTERM", 20_000);
      if (code !== 0 && code !== null) process.stderr.write(`server exited with ${code}\n${proc.output().slice(-2000)}\n`);
      removeDir(dataDir);
    },
  };
}

/** A real worker process (worker/src/main.ts) offering the shell agent. */
export function startRealWorker(serverUrl: string, name: string, capacity: number): Child & { workDir: string } {
  const workDir = tempDir(`fc-bench-worker-${name}-`);
  const proc = startChild(process.execPath, ["--import", "tsx", join(REPO, "worker/src/main.ts")], {
    name,
    cwd: REPO,
    env: {
      ...process.env,
      ORCH_SERVER_URL: serverUrl,
      ORCH_API_KEY: WORKER_KEY,
      ORCH_WORKER_NAME: name,
      ORCH_WORKER_CAPACITY: String(capacity),
      ORCH_WORKER_AGENTS: "shell",
      ORCH_WORK_DIR: workDir,
      ORCH_KILL_GRACE_MS: "1000",
      NODE_ENV: "production",
    },
  });
  const stop = proc.stop;
  return {
    ...proc,
    workDir,
    async stop(signal, graceMs) {
      const code = await stop(signal, graceMs);
      removeDir(workDir);
      return code;
    },
  };
}
