import { readdirSync, readFileSync } from "node:fs";

/** A command as runProcess spawns it. */
export interface SandboxedCommand {
  bin: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/**
 * One run's sandbox, as the places that spawn the run's processes (runProcess) see it: every process
 * of the run (setup script, agent) is spawned through `wrap`.
 */
export interface RunSandbox {
  /** The uid the run's processes have inside the sandbox (never root). */
  readonly uid: number;
  /** What to spawn so that `cmd` runs inside the sandbox. */
  wrap(cmd: SandboxedCommand): SandboxedCommand;
  /**
   * The process group to send SIGTERM for a graceful stop, given the pid of the process spawned (the
   * sandbox's launcher): the command's own group inside the sandbox. Undefined while it does not
   * exist yet; then only a SIGKILL of the launcher (which takes the whole sandbox with it) is left.
   */
  gracefulGroup(launcherPid: number): number | undefined;
}

/**
 * The pid of `parent`'s first child, from /proc/<pid>/stat (the kernel here may lack
 * /proc/<pid>/task/<tid>/children). Only called on a stop, so the scan over /proc is not on any hot path.
 */
export function childOf(parent: number): number | undefined {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Fields after the parenthesised command name: state, ppid, ...
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === parent) return Number(name);
    } catch {
      // Exited while we looked.
    }
  }
  return undefined;
}
