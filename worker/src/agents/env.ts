/** Variables with this prefix configure Flight Control itself (API keys included); agents never see them. */
const PRIVATE_PREFIX = "ORCH_";

/**
 * Variables a job's plain env (JobSpec.env) may not set: Flight Control's own (ORCH_*, and the
 * FLIGHTCONTROL_* the adapters pass MCP values in), and those the adapters set per run to point the
 * agent at its own config, sessions and skills or keep it unattended. The server refuses them when a
 * job is saved (server/src/domain/specs/env-names.ts mirrors these lists); the worker drops them too.
 */
export const PROTECTED_ENV_PREFIXES = ["ORCH_", "FLIGHTCONTROL_"] as const;
export const PROTECTED_ENV_NAMES = ["GOOSE_MODE", "GOOSE_DISABLE_KEYRING", "GOOSE_PATH_ROOT", "CODEX_HOME", "CLAUDE_CONFIG_DIR", "HOME"] as const;

/** A job's plain env without the protected variables (the server already refuses them). */
export function jobEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => {
      const upper = name.toUpperCase();
      return !PROTECTED_ENV_PREFIXES.some((p) => upper.startsWith(p)) && !(PROTECTED_ENV_NAMES as readonly string[]).includes(upper);
    }),
  );
}

/**
 * The child's environment: the worker's own environment minus every ORCH_* variable, then the
 * agent's settings, then the run's credentials (which win, as the job author asked for them).
 */
export function buildAgentEnv(
  base: NodeJS.ProcessEnv,
  agentVars: Record<string, string>,
  credentialEnv: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined || key.toUpperCase().startsWith(PRIVATE_PREFIX)) continue;
    env[key] = value;
  }
  return { ...env, ...agentVars, ...credentialEnv };
}
