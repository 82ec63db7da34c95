import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { bundledEntry } from "./entry-bundles";

/** How much of a child's output is kept for failure messages (the newest part). */
const KEEP_CHARS = 1 << 20;

/** Every child still running; the exit hook kills them, so a failed test or an aborted bench leaves none behind. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of live) {
    try {
      c.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

export interface ChildOptions extends SpawnOptions {
  name: string;
  /** Each complete line the child writes, stdout and stderr alike. */
  onLine?(line: string): void;
}

export interface Child {
  name: string;
  child: ChildProcess;
  pid: number;
  /** stdout and stderr interleaved as they came (the last MiB of it). */
  output(): string;
  /** Resolves with the exit code (null after a signal) once the process is gone. */
  exited: Promise<number | null>;
  readonly running: boolean;
  /** Sends `signal` (SIGKILL by default) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** Sends `signal` (SIGTERM by default), SIGKILLs after graceMs, and waits for the exit. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export function startChild(cmd: string, args: string[], { name, onLine, ...spawnOptions }: ChildOptions): Child {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...spawnOptions });
  live.add(child);
  let out = "";
  const keep = (text: string) => {
    out += text;
    // Trimmed only once twice the limit is reached: a copy per chunk would cost O(limit) each time.
    if (out.length > 2 * KEEP_CHARS) out = out.slice(-KEEP_CHARS);
  };
  for (const stream of [child.stdout, child.stderr]) {
    let partial = "";
    stream?.on("data", (d: Buffer) => {
      const text = d.toString();
      keep(text);
      if (!onLine) return;
      const lines = (partial + text).split("\n");
      partial = lines.pop()!;
      for (const line of lines) onLine(line);
    });
  }
  child.once("error", (err) => keep(`\nspawn error: ${err.message}`));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    get running() {
      return running();
    },
    async kill(signal = "SIGKILL") {
      if (running()) child.kill(signal);
      return exited;
    },
    async stop(signal = "SIGTERM", graceMs = 15_000) {
      if (!running()) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * `node --import tsx <script>` as a child: node itself, not the tsx CLI, whose own child a SIGKILL of
 * the CLI would orphan. Under vitest, the server's and worker's entry points run from the session's
 * bundles instead (entry-bundles.ts): the same sources, started for a third of the CPU.
 */
export function startNodeScript(script: string, options: ChildOptions & { nodeArgs?: string[]; launcher?: string[] }): Child {
  const { nodeArgs = [], launcher = [], ...rest } = options;
  const bundle = bundledEntry(script);
  const [file, ...args] = [...launcher, process.execPath, ...(bundle ? [] : ["--import", "tsx"]), ...nodeArgs, bundle ?? script];
  return startChild(file, args, rest);
}
