import { readdir, realpath, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join, relative } from "node:path";
import { runHomeDir } from "../sandbox/bubblewrap";

/**
 * Agent sessions: where each agent CLI keeps one session's state, how it is told to resume one, and
 * where its session id shows in its output. The runner packs a finished run's session into a hidden
 * ARTIFACT_KIND_SESSION artifact (session-archive.ts) and restores it for a follow-up on any worker.
 */

/**
 * What locates a run's session files: the agent's working directory, the run's private dir, the
 * worker's environment with the run's, and whether the run is sandboxed. A sandboxed agent sees
 * neither the worker's HOME nor its work dir, only the run's dir with HOME=<run dir>/home inside it
 * (sandbox/bubblewrap.ts), so there every agent keeps its state under that HOME (agentStateDirs).
 */
export interface SessionPlace {
  cwd: string;
  workDir: string;
  env: Record<string, string | undefined>;
  sandboxed?: boolean;
}

export interface AgentSessions {
  /** The folder a session is packed relative to and restored into, for this run. */
  dir(place: SessionPlace): Promise<string>;
  /** The session's files, relative to dir(place), after the agent ended; [] when it left none. */
  files(place: SessionPlace, sessionId: string): Promise<string[]>;
  /** dir(place) belongs to this run alone, so it is removed once packed (it may be outside the run's own dir). */
  runOwned: boolean;
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Every file below `root`, relative to it (symlinks are not followed, nor listed). */
async function filesBelow(root: string, dir = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesBelow(root, path)));
    else if (e.isFile()) out.push(relative(root, path));
  }
  return out;
}

const home = (env: SessionPlace["env"]) => env.HOME || homedir();

/**
 * Where Claude Code and Codex keep their state in a run. Unsandboxed: the worker operator's own
 * (CLAUDE_CONFIG_DIR or ~/.claude, CODEX_HOME or ~/.codex, with the operator's login). Sandboxed:
 * the run's own under its HOME, since the operator's are hidden (and read-only if shown): the agent
 * writes there, the worker packs and restores sessions there, and it goes with the run's dir, so
 * nothing passes from one run to another. The adapters copy the operator's settings in
 * (operator-config.ts) and set CLAUDE_CONFIG_DIR and CODEX_HOME to these paths explicitly, so that
 * the worker's own values, which point into hidden paths, never reach the sandbox.
 */
export function agentStateDirs(place: Pick<SessionPlace, "workDir" | "env" | "sandboxed">): { claude: string; codex: string } {
  if (place.sandboxed) {
    const runHome = runHomeDir(place.workDir);
    return { claude: join(runHome, ".claude"), codex: join(runHome, ".codex") };
  }
  return { claude: operatorClaudeConfigDir(place.env), codex: operatorCodexHome(place.env) };
}

/** Claude Code's config dir for the worker's own environment: CLAUDE_CONFIG_DIR, else ~/.claude. */
export const operatorClaudeConfigDir = (env: SessionPlace["env"]) => env.CLAUDE_CONFIG_DIR || join(home(env), ".claude");
/** Codex's home for the worker's own environment: CODEX_HOME, else ~/.codex. */
export const operatorCodexHome = (env: SessionPlace["env"]) => env.CODEX_HOME || join(home(env), ".codex");

// --- Claude Code -------------------------------------------------------------------------------

/**
 * Claude Code's project folder for a working directory: `$CLAUDE_CONFIG_DIR` (default ~/.claude)
 * `/projects/<sanitized path>`, where the path is the canonical cwd (realpath) with every
 * non-alphanumeric character made "-"; one longer than 200 characters is cut to 200 and given a
 * hash suffix, which the CLI finds by that 200-character prefix when its own hash differs
 * (sanitizePath and findProjectDir in Claude Code's sessionStoragePortable.ts; CHANGELOG: "Fixed
 * long (>200 char) project paths resolving to another project's session directory"). A session is
 * `<session id>.jsonl` there, plus a `<session id>/` folder for subagent transcripts and tool results.
 * The run's cwd differs on every run, so a follow-up restores its parent's session into the folder
 * of its own cwd; the folder is the run's alone and is removed once packed.
 */
export function claudeProjectDirName(canonicalCwd: string): string {
  const sanitized = canonicalCwd.replace(/[^a-zA-Z0-9]/g, "-");
  if (sanitized.length <= 200) return sanitized;
  let hash = 0;
  for (let i = 0; i < canonicalCwd.length; i++) hash = ((hash << 5) - hash + canonicalCwd.charCodeAt(i)) | 0;
  return `${sanitized.slice(0, 200)}-${Math.abs(hash).toString(36)}`;
}

export const claudeSessions: AgentSessions = {
  async dir(place) {
    const cwd = (await realpath(place.cwd).catch(() => place.cwd)).normalize("NFC");
    return join(agentStateDirs(place).claude, "projects", claudeProjectDirName(cwd));
  },
  async files(place, sessionId) {
    const dir = await this.dir(place);
    const out = (await exists(join(dir, `${sessionId}.jsonl`))) ? [`${sessionId}.jsonl`] : [];
    for (const f of await filesBelow(join(dir, sessionId))) out.push(join(sessionId, f));
    return out;
  },
  runOwned: true,
};

/** `claude -p … --resume <session id>` continues that session (Claude Code CLI reference, --resume/-r). */
export const claudeResumeArgs = (sessionId: string | undefined): string[] => (sessionId ? ["--resume", sessionId] : []);

/** Claude Code's stream-json carries session_id on system/init and on result. */
export function claudeSessionIdOf(line: string): string | undefined {
  if (!line.includes('"session_id"')) return undefined;
  try {
    const m = JSON.parse(line) as { type?: string; session_id?: unknown };
    return (m.type === "system" || m.type === "result") && typeof m.session_id === "string" ? m.session_id : undefined;
  } catch {
    return undefined;
  }
}

// --- Codex -------------------------------------------------------------------------------------

/**
 * Codex writes a thread to `$CODEX_HOME` (default ~/.codex) `/sessions/YYYY/MM/DD/rollout-<time>-<thread
 * id>.jsonl` and `codex exec resume <id>` finds it by id wherever it is under sessions/, whatever
 * the cwd (a UUID skips the cwd filter: resolve_resume_thread_id in codex-rs/exec/src/lib.rs). The
 * file is kept at the same path relative to CODEX_HOME. Unsandboxed, CODEX_HOME is the operator's
 * (it holds codex's login), so nothing is removed from it; sandboxed, it is the run's own
 * (agentStateDirs) and goes with the run's dir.
 */
export const codexSessions: AgentSessions = {
  dir: async (place) => agentStateDirs(place).codex,
  async files(place, sessionId) {
    const root = agentStateDirs(place).codex;
    const all = await filesBelow(join(root, "sessions"));
    return all.filter((f) => /(^|\/)rollout-[^/]*\.jsonl$/.test(f) && f.endsWith(`-${sessionId}.jsonl`)).map((f) => join("sessions", f));
  },
  runOwned: false,
};

/**
 * `codex exec [OPTIONS] resume <SESSION_ID> [PROMPT]` (codex-rs/exec/src/cli.rs, Command::Resume):
 * the subcommand and id go right before the prompt, after every option of exec itself.
 */
export function withCodexResume(args: string[], sessionId: string | undefined): string[] {
  if (!sessionId) return args;
  return [...args.slice(0, -1), "resume", sessionId, args[args.length - 1]];
}

/** `codex exec --json` opens with {"type":"thread.started","thread_id":…}: the id resume takes. */
export function codexSessionIdOf(line: string): string | undefined {
  if (!line.includes('"thread.started"')) return undefined;
  try {
    const m = JSON.parse(line) as { type?: string; thread_id?: unknown };
    return m.type === "thread.started" && typeof m.thread_id === "string" ? m.thread_id : undefined;
  } catch {
    return undefined;
  }
}

// --- Goose -------------------------------------------------------------------------------------

/** Goose keeps config, sessions and logs under GOOSE_PATH_ROOT; one per run keeps runs apart. */
export const goosePathRoot = (workDir: string) => join(workDir, ".goose");

/**
 * Goose stores sessions under `$GOOSE_PATH_ROOT/data/sessions` (sessions.db since 1.10, .jsonl
 * files before). The root is the run's own, so that folder holds this run's session only (and the
 * parent's it resumed): all of it is the session.
 */
export const gooseSessions: AgentSessions = {
  dir: async (place) => join(goosePathRoot(place.workDir), "data", "sessions"),
  files: async (place) => filesBelow(join(goosePathRoot(place.workDir), "data", "sessions")),
  runOwned: true,
};

/** The name a run gives its goose session: the parent's when it resumes one, so a chain keeps one name. */
export const gooseSessionName = (runId: string, resumeId: string | undefined) => resumeId || `flightcontrol-${runId}`;

/**
 * `goose run -n <name>` stores the session under that name and `--resume -n <name>` continues it
 * (goose CLI commands: run, Session Options); it replaces `--no-session`, under which there would
 * be nothing to resume.
 */
export function withGooseSession(args: string[], name: string, resume: boolean): string[] {
  const session = ["-n", name, ...(resume ? ["--resume"] : [])];
  const i = args.indexOf("--no-session");
  return i === -1 ? [...args, ...session] : [...args.slice(0, i), ...session, ...args.slice(i + 1)];
}
