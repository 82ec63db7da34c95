import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "../..");

/** Every child the bench started; the exit hook kills whatever is still alive. */
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

export interface Child {
  child: ChildProcess;
  pid: number;
  /** The last 64 KiB of stdout+stderr, for error messages. */
  output(): string;
  exited: Promise<number | null>;
  /** Sends `signal`, waits up to graceMs, then SIGKILLs; resolves once the process is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export function startChild(cmd: string, args: string[], opts: SpawnOptions & { name: string }): Child {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  children.add(child);
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 65536) out = out.slice(-65536);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => {
    children.delete(child);
    r(code);
  }));
  child.once("error", (err) => {
    out += `\nspawn error: ${err.message}`;
  });
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    async stop(signal = "SIGTERM", graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
        const code = await exited;
        clearTimeout(t);
        return code;
      }
      return exited;
    },
  };
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Last-resort cleanup: runs on any exit of the bench, including errors and Ctrl-C. */
function killAll() {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
}
process.once("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}

/** A free TCP port on 127.0.0.1. */
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
