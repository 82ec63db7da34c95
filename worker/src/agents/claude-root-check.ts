/**
 * Claude Code refuses `--permission-mode bypassPermissions` (or --dangerously-skip-permissions) for
 * root: "cannot be used with root/sudo privileges for security reasons", unless IS_SANDBOX=1 says
 * the machine is itself a sandbox. An unattended run needs that mode, so as root it would die at
 * once with Claude Code's message, which does not say what to change in Flight Control.
 *
 * The worker never sets IS_SANDBOX on its own: the flag asserts a confinement that only the
 * operator can know is there. With the worker's sandbox the agent runs as an unprivileged user
 * and this cannot arise; otherwise the run fails before claude starts, saying why and what to do.
 *
 * `agentUid` is the user the claude process will run as; `operatorEnv` is the worker's own
 * environment (a job's credentials cannot vouch for the machine).
 */
export function claudeRootRefusal(agentUid: number | undefined, operatorEnv: NodeJS.ProcessEnv): string | undefined {
  if (agentUid !== 0 || operatorEnv.IS_SANDBOX === "1") return undefined;
  return (
    "claude-code cannot run as root: Claude Code refuses to skip its permission prompts for root, and a run has nobody to answer them. " +
    "Run the worker as an unprivileged user (the worker image does), or turn on the worker's bubblewrap sandbox (ORCH_SANDBOX=bubblewrap, or auto where bubblewrap works), " +
    "which runs each agent as an unprivileged user; only if the worker's container is itself the sandbox, set IS_SANDBOX=1 in the worker's environment"
  );
}
