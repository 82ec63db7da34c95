import { createClaudeCodeAgent } from "./claude-code";
import { createCodexAgent, type CodexSandbox } from "./codex";
import { buildAgentEnv } from "./env";
import { createGooseAgent } from "./goose";
import { createShellAgent } from "./shell";
import type { Agent } from "./types";
import { offeredAgents } from "./versions";

export type { Agent, AgentOutcome, AgentOutput, AgentRunContext } from "./types";

export interface AgentsConfig {
  gooseBin: string;
  claudeBin: string;
  codexBin: string;
  codexSandbox?: CodexSandbox;
  /** The worker's environment, filtered for each child; defaults to process.env. */
  baseEnv?: NodeJS.ProcessEnv;
}

/** Every agent this worker can run, keyed by the spec's agent name. */
export function createAgents(config: AgentsConfig): Map<string, Agent> {
  const { baseEnv } = config;
  const agents: Agent[] = [
    createGooseAgent({ bin: config.gooseBin, baseEnv }),
    createShellAgent({ baseEnv }),
    createClaudeCodeAgent({ bin: config.claudeBin, baseEnv }),
    createCodexAgent({ bin: config.codexBin, baseEnv, sandbox: config.codexSandbox }),
  ];
  return new Map(agents.map((a) => [a.name, a]));
}

/**
 * The agents this worker offers: of those the operator enabled, the ones whose binaries answer
 * `--version` with a version it supports (versions.ts), each with its version; `warn` gets a line
 * for every other one, saying why and what to do.
 */
export function offerAgents(config: AgentsConfig, enabled: string[], warn: (message: string) => void): Promise<Map<string, Agent>> {
  const bins = {
    goose: { bin: config.gooseBin, hint: "set ORCH_GOOSE_BIN" },
    "claude-code": { bin: config.claudeBin, hint: "set ORCH_CLAUDE_BIN" },
    codex: { bin: config.codexBin, hint: "set ORCH_CODEX_BIN" },
  };
  // Without the worker's ORCH_* settings, as every agent process (env.ts).
  return offeredAgents(createAgents(config), enabled, bins, buildAgentEnv(config.baseEnv ?? process.env, {}, {}), warn);
}
