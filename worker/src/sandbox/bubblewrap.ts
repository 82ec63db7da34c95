import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { childOf, type RunSandbox, type SandboxedCommand } from "./run-sandbox";

/**
 * The uid and gid the run's processes have inside the sandbox. Not 0: agents refuse some modes as
 * root (Claude Code's --dangerously-skip-permissions), and nothing in a run needs root. Outside, the
 * kernel still sees the worker's own uid (a user namespace maps one to the other).
 */
export const SANDBOX_UID = 1000;
/** The hostname inside (a UTS namespace of its own), so the worker's is not leaked either. */
export const SANDBOX_HOSTNAME = "flightcontrol-run";

/** JobSpec.network: "" is "full". */
export type SandboxNetwork = "full" | "none";

/** The per-run directories the sandbox makes writable; all inside the run's private dir. */
export interface RunDirs {
  /** The run's private dir (workspace, the agent's own files): bound read-write. */
  runDir: string;
  /** HOME inside: empty at the start of each run, so agents write their config and caches there. */
  homeDir: string;
  /** TMPDIR inside. */
  tmpDir: string;
}

export interface BubblewrapOptions {
  /** The bwrap binary. */
  bin: string;
  /**
   * Paths the run must not see, each existing and absolute (realpath): a directory is covered by an
   * empty tmpfs, anything else by /dev/null. The worker's work dir (other runs, mirrors, records) is
   * one of them; the run's own dir inside it is bound back afterwards.
   */
  hide: string[];
  /** Which of `hide` are directories. */
  hiddenDirs: ReadonlySet<string>;
  /** Paths inside hidden ones bound back read-only (ORCH_SANDBOX_SHOW: e.g. agents installed under HOME). */
  show: string[];
}

/** HOME inside the sandbox of the run whose private dir is `runDir` (the agents keep their state there). */
export const runHomeDir = (runDir: string) => join(runDir, "home");

/** Makes the run's home and temp directories inside its private dir. */
export async function makeRunDirs(runDir: string): Promise<RunDirs> {
  const dirs = { runDir, homeDir: runHomeDir(runDir), tmpDir: join(runDir, "tmp") };
  await mkdir(dirs.homeDir, { recursive: true });
  await mkdir(dirs.tmpDir, { recursive: true });
  return dirs;
}

/**
 * bwrap's arguments (without the command) for one process of a run: new user, PID, IPC and UTS
 * namespaces (and network for "none"); the system read-only; a private /proc, /dev and /tmp; the
 * hidden paths covered; only the run's dir writable.
 */
export function bubblewrapArgs(opts: BubblewrapOptions, dirs: RunDirs, network: SandboxNetwork, cwd: string): string[] {
  const args = [
    // If the worker dies (even of SIGKILL), the kernel kills the sandbox: no agent outlives it.
    "--die-with-parent",
    // A session of its own: no TIOCSTI into a terminal outside. It also puts the sandbox's processes
    // in a process group apart from bwrap's, which is what lets SIGTERM reach the agent without
    // killing bwrap (and with it, at once, the whole sandbox): see gracefulGroup.
    "--new-session",
    "--unshare-user",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    ...(network === "none" ? ["--unshare-net"] : []),
    "--uid",
    String(SANDBOX_UID),
    "--gid",
    String(SANDBOX_UID),
    "--hostname",
    SANDBOX_HOSTNAME,
    "--ro-bind",
    "/",
    "/",
    // A procfs of the new PID namespace: the worker and other runs have no pid in it.
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    // Other processes' temp files (and the worker's key file, which the container entrypoint puts
    // under /tmp) are not there; what the agent writes to /tmp dies with the run.
    "--tmpfs",
    "/tmp",
  ];
  // Parents before children, so a hidden dir inside another hidden dir is mounted on the tmpfs.
  for (const path of [...opts.hide].sort((a, b) => a.length - b.length)) {
    if (opts.hiddenDirs.has(path)) args.push("--tmpfs", path);
    else args.push("--ro-bind", "/dev/null", path);
  }
  for (const path of opts.show) args.push("--ro-bind", path, path);
  args.push("--bind", dirs.runDir, dirs.runDir, "--chdir", cwd);
  return args;
}

/** The sandbox of one run: each process it spawns runs in a fresh bwrap with the run's dirs. */
export function bubblewrapRunSandbox(opts: BubblewrapOptions, dirs: RunDirs, network: SandboxNetwork): RunSandbox {
  return {
    uid: SANDBOX_UID,
    wrap(cmd: SandboxedCommand): SandboxedCommand {
      return {
        bin: opts.bin,
        args: [...bubblewrapArgs(opts, dirs, network, cmd.cwd), "--", cmd.bin, ...cmd.args],
        env: { ...cmd.env, HOME: dirs.homeDir, TMPDIR: dirs.tmpDir },
        cwd: cmd.cwd,
      };
    },
    gracefulGroup(launcherPid: number): number | undefined {
      // bwrap's only child is the sandbox's pid 1, a session leader (--new-session) whose group the
      // command inherits. Pid 1 itself ignores a SIGTERM from outside (it has no handler); the
      // command and what it started get it.
      return childOf(launcherPid);
    },
  };
}
