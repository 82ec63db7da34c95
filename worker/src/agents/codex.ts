import type { JobSpec } from "../gen/flightcontrol/v1/spec_pb";
import { runCliAgent } from "./cli-agent";
import { createCodexParser } from "./codex-events";
import { buildAgentEnv } from "./env";
import { option, promptTooLongForArgv, writePromptFile } from "./prompt-file";
import type { Agent, AgentOutcome, AgentOutput, AgentRunContext } from "./types";

/** Codex's own sandbox for the commands the model runs. */
export type CodexSandbox = "read-only" | "workspace-write" | "danger-full-access";

export interface CodexAgentOptions {
  /** Path or name of the codex binary (ORCH_CODEX_BIN). */
  bin: string;
  baseEnv?: NodeJS.ProcessEnv;
  /**
   * Defaults to workspace-write: commands may write only the run's directory (and temp dirs), which
   * is all a run needs. Use danger-full-access where the kernel sandbox is unavailable (some containers).
   */
  sandbox?: CodexSandbox;
}

export function createCodexAgent(options: CodexAgentOptions): Agent {
  return {
    name: "codex",
    run: (ctx) => runCodex(options, ctx),
  };
}

async function* runCodex(options: CodexAgentOptions, ctx: AgentRunContext): AsyncGenerator<AgentOutput, AgentOutcome, void> {
  // A prompt of "-" (or none) makes codex read stdin: used when the command line cannot carry it.
  const viaStdin = promptTooLongForArgv(ctx.spec.prompt) || ctx.spec.prompt.startsWith("-");
  const stdinFile = viaStdin ? await writePromptFile(ctx.workDir, ctx.spec.prompt) : undefined;
  return yield* runCliAgent(ctx, {
    label: "codex",
    bin: options.bin,
    binHint: "set ORCH_CODEX_BIN",
    args: buildCodexArgs(ctx.spec, options.sandbox ?? "workspace-write", viaStdin),
    env: buildAgentEnv(options.baseEnv ?? process.env, {}, ctx.credentialEnv),
    stdinFile,
    parser: createCodexParser(),
    terminalEvent: "turn.completed",
  });
}

export function buildCodexArgs(spec: JobSpec, sandbox: CodexSandbox, promptViaStdin = false): string[] {
  // exec never asks for approval; the run directory is not a git repository, which codex
  // otherwise refuses to work in.
  const args = ["exec", "--json", "--skip-git-repo-check", "--sandbox", sandbox];
  if (spec.model !== "") args.push(...option("--model", spec.model));
  const config: Array<[string, string]> = [];
  if (spec.provider !== "") config.push(["model_provider", toml(spec.provider)]);
  if (spec.systemInstructions !== "") config.push(["developer_instructions", toml(spec.systemInstructions)]);
  config.push(...mcpConfig(spec));
  for (const [key, value] of config) args.push("-c", `${key}=${value}`);
  args.push(promptViaStdin ? "-" : spec.prompt);
  return args;
}

/** `-c` overrides that declare the spec's MCP servers (codex's [mcp_servers.<name>] tables). */
function mcpConfig(spec: JobSpec): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const ext of spec.extensions) {
    // The override key is a dotted path, so a dot in the name would split it.
    const base = `mcp_servers.${ext.name.replaceAll(".", "_")}`;
    const t = ext.transport;
    if (t.case === "stdio") {
      out.push([`${base}.command`, toml(t.value.command)]);
      out.push([`${base}.args`, `[${t.value.args.map(toml).join(", ")}]`]);
      if (Object.keys(t.value.env).length > 0) out.push([`${base}.env`, tomlTable(t.value.env)]);
    } else if (t.case === "streamableHttp") {
      out.push([`${base}.url`, toml(t.value.url)]);
      if (Object.keys(t.value.headers).length > 0) out.push([`${base}.http_headers`, tomlTable(t.value.headers)]);
    }
    if (ext.timeoutSeconds > 0) out.push([`${base}.tool_timeout_sec`, String(ext.timeoutSeconds)]);
  }
  return out;
}

/** A TOML basic string: JSON's escapes are TOML's, except that TOML also forbids a raw DEL. */
function toml(value: string): string {
  return JSON.stringify(value).replaceAll("\u007f", "\\u007F");
}

function tomlTable(map: Record<string, string>): string {
  return `{ ${Object.entries(map).map(([k, v]) => `${toml(k)} = ${toml(v)}`).join(", ")} }`;
}
