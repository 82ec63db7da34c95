import { invalidArgument } from "../errors";

/**
 * Variables the worker sets or strips itself, mirrored from worker/src/agents/env.ts
 * (PROTECTED_ENV_NAMES, PROTECTED_ENV_PREFIXES; a test keeps the two lists equal). A job's plain
 * env may not set them: they point the agent at its per-run config, sessions and skills, keep it
 * unattended, or configure Flight Control itself.
 */
export const PROTECTED_ENV_PREFIXES = ["ORCH_", "FLIGHTCONTROL_"] as const;
export const PROTECTED_ENV_NAMES = ["GOOSE_MODE", "GOOSE_DISABLE_KEYRING", "GOOSE_PATH_ROOT", "CODEX_HOME", "CLAUDE_CONFIG_DIR", "HOME"] as const;

/** A shell identifier: what `export NAME=…` accepts and every agent's environment can carry. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` cannot be a job's env variable, or undefined when it can. */
export function envNameProblem(name: string): string | undefined {
  if (!IDENTIFIER.test(name)) return "is not a shell identifier (letters, digits and _, not starting with a digit)";
  const upper = name.toUpperCase();
  const prefix = PROTECTED_ENV_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix) return `starts with ${prefix}, which the worker keeps for itself`;
  if ((PROTECTED_ENV_NAMES as readonly string[]).includes(upper)) return "is set by the worker for every run and cannot be overridden";
  return undefined;
}

/** InvalidArgument naming the first env variable a job may not set. */
export function assertEnvNames(env: Record<string, string>, field = "spec.env"): void {
  for (const name of Object.keys(env)) {
    const problem = envNameProblem(name);
    if (problem) throw invalidArgument(`${field}: ${JSON.stringify(name)} ${problem}; rename the variable`);
  }
}
