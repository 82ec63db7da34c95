import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { waitFor } from "./clients";
import { ADMIN_KEY, WORKER_KEY } from "./server";
import { REPO } from "./worker";


/** A free port on 127.0.0.1, so a restarted server can come back on the same address. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface ServerProcessOptions {
  /** A command that execs its arguments (the node command line), e.g. to set up the process first; it must keep the pid. */
  launcher?: string[];
}

/** The server as its own process (server/src/main.ts), for tests that SIGKILL it. */
export async function startServerProcess(dataDir: string, port: number, env: Record<string, string> = {}, opts: ServerProcessOptions = {}): Promise<ServerProcess> {
  // node itself, not the tsx CLI: the CLI runs the script in a child that a SIGKILL of the CLI would orphan.
  const argv = [process.execPath, "--import", "tsx", join(REPO, "server/src/main.ts")];
  const [file, ...args] = [...(opts.launcher ?? []), ...argv];
  const child = spawn(file, args, {
    cwd: REPO,
    env: {
      ...process.env,
      ORCH_PORT: String(port), ORCH_HOST: "127.0.0.1", ORCH_DATA_DIR: dataDir,
      ORCH_DEFAULT_ADMIN_KEY: ADMIN_KEY, ORCH_WORKER_KEY: WORKER_KEY, ORCH_LOG_LEVEL: "warn",
      ORCH_UI_DIR: join(dataDir, "no-ui"), ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    return fetch(`${url}/readyz`).then((r) => r.ok, () => false);
  }, { what: "server to be ready" });
  return {
    url, child, output: () => out,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
