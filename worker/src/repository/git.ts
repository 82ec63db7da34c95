import { spawn } from "node:child_process";
import { buildAgentEnv } from "../agents/env";

export interface GitResult {
  code: number | null;
  stdout: string;
  /** stdout as git wrote it: a diff of non-UTF-8 text must not go through a string. */
  stdoutBytes: Buffer;
  stderr: string;
}

export interface GitOptions {
  cwd?: string;
  /** Added to git's environment: authentication (git-auth.ts) and identity. */
  env?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * Runs one git command and collects its output. Its environment is the worker's minus ORCH_*
 * (like an agent's), never prompts, and ignores credential helpers configured on the machine, so
 * the only credentials git can use are the ones git-auth.ts hands it.
 */
export function runGit(args: string[], opts: GitOptions = {}): Promise<GitResult> {
  const env = buildAgentEnv(process.env, { GIT_TERMINAL_PROMPT: "0", GCM_INTERACTIVE: "never", ...opts.env }, {});
  return new Promise((resolve) => {
    const child = spawn("git", ["-c", "credential.helper=", ...args], { cwd: opts.cwd, env, stdio: ["ignore", "pipe", "pipe"], signal: opts.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => err.push(Buffer.from(`\n${e.message}`)));
    child.on("close", (code) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, stdout: stdoutBytes.toString("utf8"), stdoutBytes, stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}

/** Runs git and returns its trimmed stdout; throws `what: <git's last meaningful line>` on failure. */
export async function git(args: string[], what: string, opts: GitOptions = {}): Promise<string> {
  const r = await runGit(args, opts);
  if (r.code !== 0) throw new GitError(`${what}: ${lastMeaningfulLine(r.stderr) || `git exited with code ${r.code}`}`);
  return r.stdout.trim();
}

/** A git step that failed; its message is the run's error, so it says which step and why. */
export class GitError extends Error {}

/**
 * The line of git's stderr that says what went wrong: the last one that is not progress, a hint or
 * a generic wrap-up ("fatal: the remote end hung up unexpectedly" follows the real reason).
 */
export function lastMeaningfulLine(stderr: string): string {
  const lines = stderr
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const noise = [
    /^hint:/i,
    /^remote: (Counting|Compressing|Enumerating|Total)/,
    /^(Cloning|Receiving|Resolving|Counting|Compressing|Enumerating|Writing|Total|To |Fetching)/,
    /the remote end hung up unexpectedly/,
    /^error: failed to push some refs/,
    /^fatal: Could not read from remote repository/,
    /^Please make sure you have the correct access rights/,
    /^and the repository exists/,
  ];
  const useful = lines.filter((l) => !noise.some((n) => n.test(l)));
  return (useful.at(-1) ?? lines.at(-1) ?? "").slice(0, 500);
}
