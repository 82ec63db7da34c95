import { join } from "node:path";
import type { JobSpec } from "../gen/flightcontrol/v1/spec_pb";
import { createClaudeParser } from "./claude-events";
import { claudeRootRefusal } from "./claude-root-check";
import { runCliAgent } from "./cli-agent";
import { buildAgentEnv } from "./env";
import { agentStateDirs, claudeResumeArgs, claudeSessionIdOf, claudeSessions, operatorClaudeConfigDir } from "./sessions";
import { CLAUDE_OPERATOR_FILES, runStateVars } from "./operator-config";
import { writePrivateFile } from "./mcp-files";
import { option, writePromptFile } from "./prompt-file";
import type { Agent, AgentOutcome, AgentOutput, AgentRunContext } from "./types";

export interface ClaudeAgentOptions {
  /** Path or name of the claude binary (ORCH_CLAUDE_BIN). */
  bin: string;
  baseEnv?: NodeJS.ProcessEnv;
  /** The uid claude runs as (a sandbox runs agents as an unprivileged one); defaults to the worker's own. */
  agentUid?: number;
}

export function createClaudeCodeAgent(options: ClaudeAgentOptions): Agent {
  return {
    name: "claude-code",
    sessions: claudeSessions,
    run: (ctx) => runClaude(options, ctx),
  };
}

async function* runClaude(options: ClaudeAgentOptions, ctx: AgentRunContext): AsyncGenerator<AgentOutput, AgentOutcome, void> {
  const baseEnv = options.baseEnv ?? process.env;
  // Inside the sandbox the agent is not root, whatever the worker runs as.
  const refusal = claudeRootRefusal(options.agentUid ?? ctx.sandbox?.uid ?? process.getuid?.(), baseEnv);
  if (refusal !== undefined) return { ok: false, error: refusal };
  // Sandboxed, the run has its own config dir (sessions included) with the operator's settings in it.
  const state = await runStateVars(
    ctx.sandbox !== undefined,
    "CLAUDE_CONFIG_DIR",
    agentStateDirs({ workDir: ctx.workDir, env: baseEnv, sandboxed: true }).claude,
    operatorClaudeConfigDir(baseEnv),
    CLAUDE_OPERATOR_FILES,
  );
  if ("error" in state) return { ok: false, error: state.error };
  // `claude -p` reads the prompt from stdin when none is given ("Input must be provided either
  // through stdin or as a prompt argument", headless docs). Always used: as an argument, a prompt
  // that names a subcommand ("doctor", "update", "mcp", "config") runs that subcommand instead —
  // commander dispatches on the first operand, even after `--` — and a dash-led one is an option.
  const stdinFile = await writePromptFile(ctx.workDir, ctx.spec.prompt);
  const servers = mcpServers(ctx.spec);
  // The servers' env and headers are secrets: they go in a private file, never on the command line.
  const mcpConfig =
    Object.keys(servers).length > 0
      ? await writePrivateFile(join(ctx.workDir, ".flightcontrol", "mcp.json"), JSON.stringify({ mcpServers: servers }))
      : undefined;
  return yield* runCliAgent(ctx, {
    label: "claude",
    bin: options.bin,
    binHint: "set ORCH_CLAUDE_BIN",
    args: [...buildClaudeArgs(ctx.spec, true, mcpConfig), ...claudeResumeArgs(ctx.resumeSessionId)],
    env: buildAgentEnv(baseEnv, state.vars, ctx.credentialEnv),
    stdinFile,
    parser: createClaudeParser({ maxTurns: ctx.spec.maxTurns, extensions: Object.keys(servers) }),
    terminalEvent: "result",
    sessionIdOf: claudeSessionIdOf,
  });
}

/** `mcpConfigFile`: the spec's MCP servers as Claude Code's JSON config (mcpServers), written by runClaude. */
export function buildClaudeArgs(spec: JobSpec, promptViaStdin = false, mcpConfigFile?: string): string[] {
  const args = ["-p"];
  // The prompt goes right after -p: --mcp-config takes several values and would swallow it.
  if (!promptViaStdin) args.push(spec.prompt);
  args.push("--output-format", "stream-json", "--verbose");
  // Nobody is there to answer a permission prompt, and in -p mode an unapproved tool is simply
  // denied, which leaves the agent unable to run commands or edit files. The run is confined to its
  // own temporary directory on a worker meant for this, so tools run without asking. (As root,
  // Claude Code refuses this: runClaude fails such a run first, see claude-root-check.ts.)
  args.push("--permission-mode", "bypassPermissions");
  if (spec.systemInstructions !== "") args.push(...option("--append-system-prompt", spec.systemInstructions));
  if (spec.maxTurns > 0) args.push("--max-turns", String(spec.maxTurns));
  if (spec.model !== "") args.push(...option("--model", spec.model));
  // "--mcp-config <configs...>: Load MCP servers from JSON files or strings" (Claude Code CLI
  // reference, https://code.claude.com/docs/en/cli-reference): a path, so no value is in argv.
  if (mcpConfigFile !== undefined) args.push("--mcp-config", mcpConfigFile);
  return args;
}

/** The spec's MCP servers in Claude Code's .mcp.json shape. */
export function mcpServers(spec: JobSpec): Record<string, unknown> {
  const servers: Record<string, unknown> = {};
  for (const ext of spec.extensions) {
    const t = ext.transport;
    if (t.case === "stdio") {
      servers[ext.name] = { type: "stdio", command: t.value.command, args: t.value.args, env: t.value.env };
    } else if (t.case === "streamableHttp") {
      servers[ext.name] = { type: "http", url: t.value.url, headers: t.value.headers };
    }
  }
  return servers;
}
