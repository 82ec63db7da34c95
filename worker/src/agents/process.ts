import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import type { Readable } from "node:stream";
import { agentMarker, recordGroup } from "../orphans";
import type { RunSandbox } from "../sandbox/run-sandbox";
import { createLineSplitter, DEFAULT_MAX_LINE_CHARS } from "./lines";

export interface ProcessOptions {
  /** Short name used in messages, e.g. "goose". */
  label: string;
  bin: string;
  args: string[];
  /** The complete environment of the child (see buildAgentEnv). */
  env: Record<string, string>;
  cwd: string;
  signal: AbortSignal;
  graceMs: number;
  /** Aborting it sends SIGKILL to the group at once (a stop with a deadline shorter than graceMs). */
  killSignal?: AbortSignal;
  /** Tells the operator how to point at the binary, e.g. "set ORCH_GOOSE_BIN". */
  binHint?: string;
  /** A file to connect to stdin instead of closing it (prompts too long for argv). */
  stdinFile?: string;
  maxLineChars?: number;
  /** Lines queued for a slow consumer before the pipes are paused. */
  highWaterLines?: number;
  /** How long to wait for pipes held open by escaped descendants after the group is gone. */
  drainTimeoutMs?: number;
  /** Observes backpressure (tests). */
  onBackpressure?: (paused: boolean) => void;
  /** The run's sandbox (ORCH_SANDBOX): the command is spawned inside it. */
  sandbox?: RunSandbox;
}

export interface ProcessLine {
  stream: "stdout" | "stderr";
  text: string;
}

export interface ProcessExit {
  exitCode?: number;
  signal?: string;
  /** Set when the process could not be started at all. */
  spawnError?: string;
}

const DEFAULT_HIGH_WATER = 1024;
const DEFAULT_DRAIN_TIMEOUT_MS = 2000;

/**
 * Runs a command in its own process group (in the run's sandbox, if any) and yields its output as
 * complete lines. Aborting `signal` sends SIGTERM to the group and SIGKILL after `graceMs`; once the
 * leader exits the whole group is killed, so nothing the agent started outlives the run. Sandboxed,
 * the leader is bwrap: killing it ends every process in the sandbox's PID namespace.
 */
export async function* runProcess(opts: ProcessOptions): AsyncGenerator<ProcessLine, ProcessExit, void> {
  if (!existsSync(opts.cwd)) {
    return { spawnError: `${opts.label} working directory does not exist: ${opts.cwd}` };
  }
  const highWater = opts.highWaterLines ?? DEFAULT_HIGH_WATER;
  const lowWater = Math.floor(highWater / 2);
  const queue: ProcessLine[] = [];
  let notify: (() => void) | undefined;
  const wake = () => {
    const n = notify;
    notify = undefined;
    n?.();
  };

  let child: ChildProcess;
  let stdinFd: number | undefined;
  try {
    if (opts.stdinFile !== undefined) stdinFd = openSync(opts.stdinFile, "r");
    const cmd = { bin: opts.bin, args: opts.args, env: opts.env, cwd: opts.cwd };
    const { bin, args, env, cwd } = opts.sandbox ? opts.sandbox.wrap(cmd) : cmd;
    child = spawn(bin, args, {
      cwd,
      // The marker lets a restarted worker find this agent's processes if this worker is SIGKILLed.
      env: { ...env, ...agentMarker() },
      detached: true,
      stdio: [stdinFd ?? "ignore", "pipe", "pipe"],
    });
  } catch (err) {
    return { spawnError: describeSpawnError(opts, err) };
  } finally {
    // The child holds its own copy of the descriptor.
    if (stdinFd !== undefined) closeSync(stdinFd);
  }
  // Lets a restarted worker kill this group if the worker itself is SIGKILLed (see orphans.ts).
  const forgetGroup = child.pid !== undefined ? recordGroup(child.pid) : undefined;

  let spawnError: string | undefined;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let openStreams = 2;
  let paused = false;
  let graceTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  const streams = [child.stdout, child.stderr].filter((s): s is Readable => s !== null);

  /** The sandboxed command's own group, once a SIGTERM looked it up (see RunSandbox.gracefulGroup). */
  let innerGroup: number | undefined;
  const killGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    const groups = [child.pid];
    if (opts.sandbox && sig === "SIGTERM") {
      // SIGTERM to the sandbox's launcher would end the whole sandbox at once, grace or not.
      innerGroup ??= opts.sandbox.gracefulGroup(child.pid);
      if (innerGroup !== undefined) groups[0] = innerGroup;
    } else if (innerGroup !== undefined) groups.push(innerGroup);
    for (const group of groups) {
      try {
        process.kill(-group, sig);
      } catch {
        // ESRCH: the group is already gone.
      }
    }
  };

  const setPaused = (value: boolean) => {
    if (paused === value) return;
    paused = value;
    for (const s of streams) {
      if (value) s.pause();
      else s.resume();
    }
    opts.onBackpressure?.(value);
  };

  const enqueue = (line: ProcessLine) => {
    queue.push(line);
    if (queue.length >= highWater) setPaused(true);
    wake();
  };

  const attach = (stream: Readable | null, name: ProcessLine["stream"]) => {
    if (stream === null) {
      openStreams -= 1;
      return;
    }
    const splitter = createLineSplitter((text) => enqueue({ stream: name, text }), opts.maxLineChars ?? DEFAULT_MAX_LINE_CHARS);
    stream.on("data", (chunk: Buffer) => splitter.push(chunk));
    stream.on("error", () => {
      // A pipe error ends the stream; 'close' follows.
    });
    stream.once("close", () => {
      splitter.end();
      openStreams -= 1;
      wake();
    });
  };
  attach(child.stdout, "stdout");
  attach(child.stderr, "stderr");

  const armDrainTimer = () => {
    drainTimer = setTimeout(() => {
      // Data still queued in the pipe is read first; only a pipe no one writes to is cut off.
      if (paused) return armDrainTimer();
      for (const s of streams) s.destroy();
    }, opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
    drainTimer.unref();
  };

  child.on("error", (err) => {
    if (child.pid === undefined) spawnError = describeSpawnError(opts, err);
    wake();
  });
  child.once("exit", (code, signal) => {
    exit = { code, signal };
    clearTimeout(graceTimer);
    // Descendants left behind by the agent would otherwise keep running and hold our pipes open.
    killGroup("SIGKILL");
    forgetGroup?.();
    armDrainTimer();
    wake();
  });

  const onAbort = () => {
    if (exit !== undefined || child.pid === undefined) return;
    killGroup("SIGTERM");
    graceTimer = setTimeout(() => killGroup("SIGKILL"), opts.graceMs);
  };
  if (opts.signal.aborted) onAbort();
  else opts.signal.addEventListener("abort", onAbort, { once: true });
  const onKill = () => {
    if (exit === undefined) killGroup("SIGKILL");
  };
  if (opts.killSignal?.aborted) onKill();
  else opts.killSignal?.addEventListener("abort", onKill, { once: true });

  try {
    for (;;) {
      const line = queue.shift();
      if (line !== undefined) {
        if (paused && queue.length <= lowWater) setPaused(false);
        yield line;
        continue;
      }
      if (spawnError !== undefined) return { spawnError };
      if (exit !== undefined && openStreams <= 0) {
        return {
          exitCode: exit.code ?? undefined,
          signal: exit.signal ?? undefined,
        };
      }
      await new Promise<void>((resolve) => {
        notify = resolve;
      });
    }
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
    opts.killSignal?.removeEventListener("abort", onKill);
    clearTimeout(graceTimer);
    clearTimeout(drainTimer);
    // The consumer may stop early; the agent must not outlive it.
    if (exit === undefined) killGroup("SIGKILL");
    forgetGroup?.();
    for (const s of streams) s.destroy();
  }
}

function describeSpawnError(opts: ProcessOptions, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const hint = opts.binHint ? `: ${opts.binHint}` : "";
  switch (code) {
    case "ENOENT":
      return `${opts.label} binary not found${hint} (looked for "${opts.bin}")`;
    case "EACCES":
      return `${opts.label} binary is not executable${hint} (tried "${opts.bin}")`;
    case "E2BIG":
      return `${opts.label} command line is too long for the kernel (an argument over 128 KiB?)`;
    default:
      return `${opts.label} could not be started: ${err instanceof Error ? err.message : String(err)}`;
  }
}
