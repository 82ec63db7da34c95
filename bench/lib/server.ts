import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startServerProcess, type ServerProcess } from "../../testkit/server-process";
import { startWorker, type WorkerProcess } from "../../testkit/worker-process";
import { freePort, removeDir, tempDir } from "./procs";

export { ADMIN_KEY, WORKER_KEY } from "../../testkit/keys";

export interface BenchServer {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  dbPath: string;
  proc: ServerProcess;
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
  const nodeArgs: string[] = [];
  if (opts.cpuProfDir) {
    mkdirSync(opts.cpuProfDir, { recursive: true });
    // Node names each file CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: the main thread is
    // thread 0; tsx's module loader runs in a second thread with its own file.
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`);
  }
  const proc = await startServerProcess(
    dataDir,
    port,
    { ORCH_DATABASE_URL: `sqlite:${dbPath}`, NODE_ENV: "production", ...opts.env },
    { nodeArgs, readyTimeoutMs: 60_000 },
  );
  let ro: Database.Database | undefined;
  return {
    url: proc.url,
    port,
    pid: proc.pid,
    dataDir,
    dbPath,
    proc,
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

/** A real worker process (worker/src/main.ts) offering the shell agent; its work dir goes when it exits. */
export function startRealWorker(serverUrl: string, name: string, capacity: number, env: Record<string, string> = {}): WorkerProcess {
  return startWorker(serverUrl, { name, capacity, agents: "shell", env: { NODE_ENV: "production", ...env } });
}
