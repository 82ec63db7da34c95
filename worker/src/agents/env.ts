/** Variables with this prefix configure Flight Control itself (API keys included); agents never see them. */
const PRIVATE_PREFIX = "ORCH_";

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
