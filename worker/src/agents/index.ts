import { createClaudeCodeAgent } from "./claude-code";
import { createCodexAgent, type CodexSandbox } from "./codex";
import { createGooseAgent } from "./goose";
import { createShellAgent } from "./shell";
import type { Agent } from "./types";

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
