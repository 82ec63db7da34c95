import { LogStream } from "../gen/flightcontrol/v1/run_pb";
import type { JobSpec } from "../gen/flightcontrol/v1/spec_pb";
import { runCliAgent } from "./cli-agent";
import { createCodexParser } from "./codex-events";
import { buildAgentEnv } from "./env";
import { agentStateDirs, codexSessionIdOf, codexSessions, operatorCodexHome, withCodexResume } from "./sessions";
import { CODEX_OPERATOR_FILES, runStateVars } from "./operator-config";
import { logLine } from "./events";
import { codexIgnoresMaxTurns } from "./max-turns";
import { option, writePromptFile } from "./prompt-file";
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
    sessions: codexSessions,
    run: (ctx) => runCodex(options, ctx),
  };
}

async function* runCodex(options: CodexAgentOptions, ctx: AgentRunContext): AsyncGenerator<AgentOutput, AgentOutcome, void> {
  // A prompt of "-" makes codex read stdin (codex-rs/exec/src/cli.rs). Always used: as an argument,
  // a prompt that names a subcommand ("review", "resume", "help") runs that subcommand instead.
  const stdinFile = await writePromptFile(ctx.workDir, ctx.spec.prompt);
  const mcpEnv = codexMcpEnv(ctx.spec, ctx.credentialEnv);
  if ("error" in mcpEnv) return { ok: false, error: mcpEnv.error };
  const baseEnv = options.baseEnv ?? process.env;
  // Sandboxed, the run has its own CODEX_HOME (sessions included) with the operator's config.toml
  // (model_providers, profiles) in it; its login stays out: CODEX_API_KEY or OPENAI_API_KEY then.
  const state = await runStateVars(
    ctx.sandbox !== undefined,
    "CODEX_HOME",
    agentStateDirs({ workDir: ctx.workDir, env: baseEnv, sandboxed: true }).codex,
    operatorCodexHome(baseEnv),
    CODEX_OPERATOR_FILES,
  );
  if ("error" in state) return { ok: false, error: state.error };
  if (ctx.spec.maxTurns > 0) yield logLine(LogStream.SYSTEM, codexIgnoresMaxTurns(ctx.spec.maxTurns));
  return yield* runCliAgent(ctx, {
    label: "codex",
    bin: options.bin,
    binHint: "set ORCH_CODEX_BIN",
    args: withCodexResume(buildCodexArgs(ctx.spec, options.sandbox ?? "workspace-write", true), ctx.resumeSessionId),
    env: buildAgentEnv(baseEnv, { ...state.vars, ...mcpEnv.env, ...codexApiKey(ctx.credentialEnv) }, ctx.credentialEnv),
    stdinFile,
    parser: createCodexParser(),
    terminalEvent: "turn.completed",
    sessionIdOf: codexSessionIdOf,
    stderrFailure: (line) => requiredMcpFailure(line, ctx.spec) ?? codexFatalError(line),
  });
}

const REQUIRED_MCP_FAILED = "required MCP servers failed to initialize: ";

/**
 * With `required = true` (mcpConfig) codex exits 1 before the thread starts when a server does not
 * start, and says why only on stderr, among other lines (codex 0.171, seen in
 * server/test/real-cli/codex.test.ts): "Error: thread/start: … Failed to initialize session:
 * required MCP servers failed to initialize: broken: No such file or directory (os error 2)
 * (code -32603)", then a backtrace. That line, not the last one, is the run's error.
 */
export function requiredMcpFailure(line: string, spec: JobSpec): string | undefined {
  const at = line.indexOf(REQUIRED_MCP_FAILED);
  if (at === -1) return undefined;
  const said = line
    .slice(at)
    .replace(/ \(code -?\d+\)\s*$/, "")
    .trim();
  const detail = said.slice(REQUIRED_MCP_FAILED.length);
  const codexName = detail.split(": ")[0];
  // mcpConfig turned dots into underscores; the user knows the extension by the job's name for it.
  const name = spec.extensions.find((e) => codexServerName(e.name) === codexName)?.name ?? codexName;
  return `extension ${name} did not start in codex; check its command, arguments and environment (codex said: ${said})`;
}

/**
 * Codex ends on a fatal error by printing "Error: <message>" on stderr and then a backtrace
 * ("Stack backtrace:", "   0: <unknown>", …), e.g. "Error: Model provider `x` not found" for a job
 * whose provider the config does not define (codex 0.171, server/test/real-cli). That message, not
 * the backtrace's last line, is the run's error.
 */
export function codexFatalError(line: string): string | undefined {
  const m = /^Error: (.+)$/.exec(line.trim());
  return m === null ? undefined : `codex failed: ${m[1]}`;
}

/** The [mcp_servers.<name>] key of an extension: the override key is a dotted path, so a dot would split it. */
const codexServerName = (name: string) => name.replaceAll(".", "_");

/**
 * `codex exec` takes its API key from CODEX_API_KEY (docs/exec.md, "Authentication"), not from
 * OPENAI_API_KEY, which the credential presets offer: an OpenAI key the job brings is passed on
 * under the name codex reads, unless the job set CODEX_API_KEY itself.
 */
export function codexApiKey(credentialEnv: Record<string, string>): Record<string, string> {
  const key = credentialEnv.OPENAI_API_KEY;
  return key !== undefined && credentialEnv.CODEX_API_KEY === undefined ? { CODEX_API_KEY: key } : {};
}

/** The `codex exec` command line; it names MCP secrets' variables, never their values (codexMcpEnv). */
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

/** The variable codex reads header `j` of extension `i` from (env_http_headers). */
const headerVar = (i: number, j: number) => `FLIGHTCONTROL_MCP_${i}_HEADER_${j}`;

/**
 * `-c` overrides that declare the spec's MCP servers (codex's [mcp_servers.<name>] tables) without
 * a secret in them: codex-rs/core/src/config/types.rs lets a stdio server take `env_vars`, names
 * of variables codex copies from its own environment into the server's, and an HTTP server take
 * `env_http_headers`, header name → variable holding its value. codexMcpEnv puts the values there.
 * (A config.toml in the run's CODEX_HOME would also keep them off argv, but unsandboxed runs use
 * the operator's CODEX_HOME, which is not the run's to write.)
 */
function mcpConfig(spec: JobSpec): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  spec.extensions.forEach((ext, i) => {
    const base = `mcp_servers.${codexServerName(ext.name)}`;
    const t = ext.transport;
    if (t.case === "stdio") {
      out.push([`${base}.command`, toml(t.value.command)]);
      out.push([`${base}.args`, `[${t.value.args.map(toml).join(", ")}]`]);
      const names = Object.keys(t.value.env);
      if (names.length > 0) out.push([`${base}.env_vars`, `[${names.map(toml).join(", ")}]`]);
    } else if (t.case === "streamableHttp") {
      out.push([`${base}.url`, toml(t.value.url)]);
      const headers = Object.keys(t.value.headers);
      if (headers.length > 0) out.push([`${base}.env_http_headers`, tomlTable(Object.fromEntries(headers.map((h, j) => [h, headerVar(i, j)])))]);
    }
    if (ext.timeoutSeconds > 0) out.push([`${base}.tool_timeout_sec`, String(ext.timeoutSeconds)]);
    // Codex otherwise carries on without a server that does not start; `required` makes exec fail
    // with "required MCP servers failed to initialize: <name>: <reason>" (openai/codex#10902).
    out.push([`${base}.required`, "true"]);
    // `codex exec` runs with approval policy "never", under which codex 0.171 refuses every MCP tool
    // call ("MCP tool call requires approval, but approval policy is never"): the job asked for the
    // server, so its tools are approved (found with the real CLI, server/test/real-cli/codex.test.ts).
    out.push([`${base}.default_tools_approval_mode`, toml("approve")]);
  });
  return out;
}

/**
 * The variables the overrides above name, for codex's environment. Stdio env travels under its own
 * name (env_vars copies by name), so two extensions, or an extension and a credential, that give
 * one name different values cannot both be honoured: that is an error rather than a silent pick.
 */
export function codexMcpEnv(spec: JobSpec, credentialEnv: Record<string, string>): { env: Record<string, string> } | { error: string } {
  const env: Record<string, string> = {};
  const owner = new Map<string, string>();
  for (const [i, ext] of spec.extensions.entries()) {
    const t = ext.transport;
    if (t.case === "stdio") {
      for (const [name, value] of Object.entries(t.value.env)) {
        const clash =
          name in env && env[name] !== value
            ? `extension ${owner.get(name)}`
            : name in credentialEnv && credentialEnv[name] !== value
              ? "a credential"
              : undefined;
        if (clash) {
          return {
            error: `extension ${ext.name}: codex passes MCP env through its own environment, where ${clash} gives ${name} another value; rename one of them`,
          };
        }
        env[name] = value;
        owner.set(name, ext.name);
      }
    } else if (t.case === "streamableHttp") {
      Object.values(t.value.headers).forEach((value, j) => (env[headerVar(i, j)] = value));
    }
  }
  return { env };
}

/** A TOML basic string: JSON's escapes are TOML's, except that TOML also forbids a raw DEL. */
function toml(value: string): string {
  return JSON.stringify(value).replaceAll("\u007f", "\\u007F");
}

function tomlTable(map: Record<string, string>): string {
  return `{ ${Object.entries(map)
    .map(([k, v]) => `${toml(k)} = ${toml(v)}`)
    .join(", ")} }`;
}
