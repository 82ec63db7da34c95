// Types of install-agent-clis.mjs for the TypeScript that imports it (testkit/agent-clis.ts).
export interface AgentCli {
  package: string;
  version: string;
  bin: string;
}
export const AGENT_CLIS: Record<"claude-code" | "codex", AgentCli>;
export function agentCliDir(env?: NodeJS.ProcessEnv): string;
export function agentCliBins(dir?: string): Record<"claude-code" | "codex", string>;
export function installProblem(dir?: string): string | undefined;
export function installAgentClis(dir?: string, log?: (msg: string) => void): string;
