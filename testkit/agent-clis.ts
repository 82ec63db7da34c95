import { execFileSync } from "node:child_process";
import { AGENT_CLIS, agentCliBins, agentCliDir, installProblem } from "../scripts/install-agent-clis.mjs";

/** The unprivileged user the real-CLI tests run the worker as (Debian's nobody). */
export const UNPRIVILEGED_UID = 65534;

/** Runs a command as UNPRIVILEGED_UID with no supplementary groups and no capabilities. */
export const AS_UNPRIVILEGED = ["setpriv", `--reuid=${UNPRIVILEGED_UID}`, `--regid=${UNPRIVILEGED_UID}`, "--clear-groups", "--inh-caps=-all"];

export interface AgentClis {
  claude: string;
  codex: string;
  versions: { claude: string; codex: string };
}

/**
 * The real Claude Code and Codex CLIs installed by scripts/install-agent-clis.mjs, checked to start
 * for the unprivileged user the tests run them as. Throws, saying how to install them, when they
 * are missing: a test that needs them fails rather than skipping silently.
 */
export function requireAgentClis(): AgentClis {
  const dir = agentCliDir();
  const problem = installProblem(dir);
  if (problem !== undefined) {
    throw new Error(
      `The real agent CLIs (${Object.values(AGENT_CLIS)
        .map((c) => `${c.package}@${c.version}`)
        .join(", ")}) are not installed in ${dir}: ${problem}. ` +
        "Install them once with `node scripts/install-agent-clis.mjs` (.ci/run does; ORCH_TEST_AGENT_CLI_DIR picks another directory).",
    );
  }
  const bins = agentCliBins(dir);
  if (process.getuid?.() === 0) {
    for (const bin of Object.values(bins)) {
      try {
        execFileSync(AS_UNPRIVILEGED[0], [...AS_UNPRIVILEGED.slice(1), bin, "--version"], {
          stdio: "pipe",
          timeout: 30_000,
          env: { PATH: process.env.PATH },
        });
      } catch (err) {
        throw new Error(`${bin} does not start as uid ${UNPRIVILEGED_UID}, which the real-CLI tests run it as (is ${dir} readable by all?): ${err}`);
      }
    }
  }
  return {
    claude: bins["claude-code"],
    codex: bins.codex,
    versions: { claude: AGENT_CLIS["claude-code"].version, codex: AGENT_CLIS.codex.version },
  };
}
