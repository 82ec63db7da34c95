import { chmod, copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * A sandboxed run's agent has its own CLAUDE_CONFIG_DIR or CODEX_HOME (sessions.ts, agentStateDirs):
 * the operator's are hidden from it. What the operator configured there reaches the run as a copy
 * made by the worker (which can read them) before the agent starts. Only settings are copied, never a
 * login (Claude Code's .credentials.json, Codex's auth.json): as for Goose (goose-config.ts), a
 * sandboxed run's secrets come only from the job's credentials or the worker's environment, so a run
 * cannot carry off the operator's long-lived login (README, Security: the sandbox).
 */

/** Claude Code's user settings (permissions, env, model) and user memory, as `claude` reads them from its config dir. */
export const CLAUDE_OPERATOR_FILES = ["settings.json", "CLAUDE.md"] as const;
/** Codex's config (model_providers, profiles, model) and global instructions, as codex reads them from CODEX_HOME. */
export const CODEX_OPERATOR_FILES = ["config.toml", "AGENTS.md"] as const;

/** What the adapters add to the agent's environment for a sandboxed run, or an error that fails it. */
export type RunStateVars = { vars: Record<string, string> } | { error: string };

/**
 * Sets `variable` to the run's own state dir `dir`, with the operator's `names` copied in from
 * `operatorDir`. Unsandboxed runs keep the operator's dir itself and get nothing here.
 */
export async function runStateVars(
  sandboxed: boolean,
  variable: string,
  dir: string,
  operatorDir: string,
  names: readonly string[],
): Promise<RunStateVars> {
  if (!sandboxed) return { vars: {} };
  try {
    await copyOperatorFiles(operatorDir, dir, names);
  } catch (err) {
    return { error: (err as Error).message };
  }
  return { vars: { [variable]: dir } };
}

/**
 * Copies those of `names` that exist in `from` into `to` (0600: the copy is the run's, and the
 * operator's file may hold values meant for the worker's user only). Returns the names copied.
 * A file that exists but cannot be read fails the run: it would otherwise run with a configuration
 * the operator did not mean.
 */
export async function copyOperatorFiles(from: string, to: string, names: readonly string[]): Promise<string[]> {
  const copied: string[] = [];
  await mkdir(to, { recursive: true, mode: 0o700 });
  for (const name of names) {
    try {
      await copyFile(join(from, name), join(to, name));
      await chmod(join(to, name), 0o600);
      copied.push(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new Error(`cannot copy the worker's agent configuration ${join(from, name)} into the run: ${(err as Error).message}`);
    }
  }
  return copied;
}
