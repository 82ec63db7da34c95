import { existsSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { Logger } from "../logger";
import { bubblewrapRunSandbox, makeRunDirs, type BubblewrapOptions, type SandboxNetwork } from "./bubblewrap";
import { probeBubblewrap } from "./probe";
import type { RunSandbox } from "./run-sandbox";

/** ORCH_SANDBOX. */
export type SandboxMode = "auto" | "bubblewrap" | "off";
export const SANDBOX_MODES: readonly SandboxMode[] = ["auto", "bubblewrap", "off"];

/** How this worker isolates its runs, chosen once at start. */
export interface WorkerSandbox {
  /** Reported in Hello.sandbox. */
  readonly kind: "bubblewrap";
  /** Makes the run's home and temp dirs inside `runDir` and returns the sandbox its processes run in. */
  forRun(runDir: string, network: SandboxNetwork): Promise<RunSandbox>;
}

export interface SandboxSettings {
  mode: SandboxMode;
  bwrapBin: string;
  /** The worker's work dir: every run's dir, the mirror cache, spill files, process records. */
  workDir: string;
  /** ORCH_SANDBOX_HIDE: more paths to hide from runs (e.g. a co-located server's data dir). */
  extraHide: string[];
  /** ORCH_SANDBOX_SHOW: paths inside hidden ones that runs need, bound back read-only. */
  show: string[];
}

/**
 * Sockets that would hand a run the host: a Unix socket stays connectable on a read-only mount, and
 * the run's uid is the worker's own outside the sandbox.
 */
const HOST_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock", "/run/podman/podman.sock"];

/**
 * What the runs must not see: the work dir, the worker user's home (its dotfiles: SSH keys, cloud and
 * agent logins), the worker's key file if it is still there, container runtime sockets, and the
 * operator's extra paths. Only paths that exist (a mount point cannot be made in the read-only
 * system), resolved, since mounts follow symlinks.
 */
export function hiddenPaths(settings: SandboxSettings, env: NodeJS.ProcessEnv): Omit<BubblewrapOptions, "bin"> {
  const candidates = [settings.workDir, env.HOME, env.ORCH_API_KEY_FILE, ...HOST_SOCKETS, ...settings.extraHide];
  const hide = new Set<string>();
  const hiddenDirs = new Set<string>();
  for (const path of candidates) {
    if (!path || !isAbsolute(path) || !existsSync(path)) continue;
    const real = realpathSync(path);
    // Hiding "/" (HOME=/ for some system users) would hide everything, the agent binaries included.
    if (real === "/") continue;
    hide.add(real);
    if (statSync(real).isDirectory()) hiddenDirs.add(real);
  }
  const show = settings.show.filter((p) => isAbsolute(p) && existsSync(p)).map((p) => realpathSync(p));
  return { hide: [...hide], hiddenDirs, show };
}

/** `bin` as a path: itself when it has a slash, else the first match on PATH. */
function resolveBin(bin: string, env: NodeJS.ProcessEnv): string | undefined {
  if (bin.includes("/")) return existsSync(bin) ? realpathSync(bin) : undefined;
  for (const dir of (env.PATH ?? "").split(":")) {
    const path = join(dir || ".", bin);
    if (existsSync(path)) return realpathSync(path);
  }
  return undefined;
}

/**
 * The programs runs need (node, the agent CLIs) that lie in a hidden path and were not shown back.
 * /tmp counts: every run gets an empty one of its own (bubblewrap.ts), so a CLI installed or checked
 * out under /tmp is not there either.
 */
export function hiddenBinaries(opts: Omit<BubblewrapOptions, "bin">, binaries: string[], env: NodeJS.ProcessEnv): string[] {
  const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);
  const hidden = [...opts.hide, realpathSync("/tmp")];
  return binaries
    .map((b) => resolveBin(b, env))
    .filter((p): p is string => p !== undefined)
    .filter((p) => hidden.some((h) => under(p, h)) && !opts.show.some((s) => under(p, s)));
}

/**
 * Picks the sandbox per ORCH_SANDBOX: "off" none; "bubblewrap" bwrap, or an Error saying why it
 * cannot work here; "auto" bwrap where the probe works, else none, said once in the log.
 */
export function selectSandbox(
  settings: SandboxSettings,
  log: Logger,
  /** The programs runs start (node, the agent CLIs), checked for being hidden. */
  binaries: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): WorkerSandbox | undefined {
  if (settings.mode === "off") {
    log.info({ sandbox: "off" }, "ORCH_SANDBOX=off: agents run unsandboxed, as this worker's user");
    return undefined;
  }
  // It must exist to be hidden (and every run's dir is made in it anyway).
  mkdirSync(settings.workDir, { recursive: true });
  const opts: BubblewrapOptions = { bin: settings.bwrapBin, ...hiddenPaths(settings, env) };
  const failure = probeBubblewrap(opts);
  if (failure === undefined) {
    log.info({ sandbox: "bubblewrap", hidden: opts.hide }, "runs are sandboxed with bubblewrap");
    const unreachable = hiddenBinaries(opts, binaries, env);
    if (unreachable.length) {
      log.warn(
        { unreachable },
        "these programs are in a path hidden from runs, so runs cannot start them: list their directories in ORCH_SANDBOX_SHOW",
      );
    }
    return {
      kind: "bubblewrap",
      forRun: async (runDir, network) => bubblewrapRunSandbox(opts, await makeRunDirs(realpathSync(runDir)), network),
    };
  }
  const why = `bubblewrap cannot sandbox runs here: ${failure}`;
  if (settings.mode === "bubblewrap") {
    throw new Error(
      `ORCH_SANDBOX=bubblewrap but ${why}. See README, Security: the sandbox (in Docker the worker needs the compose file's security_opt).`,
    );
  }
  log.warn(
    { sandbox: "off", reason: failure },
    `${why}; agents run unsandboxed, as this worker's user (ORCH_SANDBOX=bubblewrap makes this fatal, ORCH_SANDBOX=off silences it)`,
  );
  return undefined;
}
