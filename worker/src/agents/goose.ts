import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { JobSpec } from "../gen/flightcontrol/v1/spec_pb";
import { runCliAgent } from "./cli-agent";
import { buildAgentEnv } from "./env";
import { gooseSessionName, gooseSessions, goosePathRoot, withGooseSession } from "./sessions";
import { gooseConfigWithExtensions, operatorGooseConfigPath, readOperatorGooseConfig } from "./goose-config";
import { createGooseParser } from "./goose-events";
import { writePrivateFile } from "./mcp-files";
import { option, promptTooLongForArgv, writePromptFile } from "./prompt-file";
import type { Agent, AgentOutcome, AgentOutput, AgentRunContext } from "./types";

export interface GooseAgentOptions {
  /** Path or name of the goose binary (ORCH_GOOSE_BIN). */
  bin: string;
  /** The worker's environment; defaults to process.env. */
  baseEnv?: NodeJS.ProcessEnv;
}

export function createGooseAgent(options: GooseAgentOptions): Agent {
  return {
    name: "goose",
    sessions: gooseSessions,
    run: (ctx) => runGoose(options, ctx),
  };
}

async function* runGoose(options: GooseAgentOptions, ctx: AgentRunContext): AsyncGenerator<AgentOutput, AgentOutcome, void> {
  const baseEnv = options.baseEnv ?? process.env;
  // `-i FILE` would drop --system (parse_run_input in crates/goose-cli/src/cli.rs keeps the
  // additional system prompt only for `-t` and `-i -`): a long prompt goes through stdin.
  const stdinFile = promptTooLongForArgv(ctx.spec.prompt) ? await writePromptFile(ctx.workDir, ctx.spec.prompt) : undefined;
  // Goose keeps config, sessions and logs under this root; one per run keeps runs apart.
  const pathRoot = goosePathRoot(ctx.workDir);
  const session = gooseSessionName(ctx.runId, ctx.resumeSessionId);
  await mkdir(pathRoot, { recursive: true });
  const extensions = gooseExtensions(ctx.spec);
  if ("error" in extensions) return { ok: false, error: extensions.error };
  // The operator's configuration (provider, model, settings), with the job's extensions added.
  const operatorPath = operatorGooseConfigPath(baseEnv);
  let operatorText: string;
  try {
    operatorText = await readOperatorGooseConfig(operatorPath);
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  const config = gooseConfigWithExtensions(operatorText, extensions.entries, operatorPath);
  if ("error" in config) return { ok: false, error: config.error };
  await writePrivateFile(join(pathRoot, "config", "config.yaml"), config.text);
  const env = buildAgentEnv(baseEnv, { GOOSE_MODE: "auto", GOOSE_DISABLE_KEYRING: "1", GOOSE_PATH_ROOT: pathRoot }, ctx.credentialEnv);
  const wanted = new Set([...ctx.spec.extensions.map((e) => e.name), ...ctx.spec.builtins]);
  return yield* runCliAgent(ctx, {
    label: "goose",
    bin: options.bin,
    binHint: "set ORCH_GOOSE_BIN",
    args: withGooseSession(buildGooseArgs(ctx.spec, stdinFile !== undefined), session, ctx.resumeSessionId !== undefined),
    env,
    stdinFile,
    parser: createGooseParser({ maxTurns: ctx.spec.maxTurns }),
    terminalEvent: "complete",
    sessionId: session,
    stderrFailure: (line) => extensionFailure(line, wanted),
  });
}

/**
 * Goose starts every extension, and for one that fails prints "Warning: Failed to start extension
 * '<name>' (<error>), continuing without it" on stderr and carries on (load_extensions in
 * crates/goose-cli/src/session/builder.rs). An extension the job asked for is not optional.
 */
function extensionFailure(line: string, wanted: Set<string>): string | undefined {
  const m = /Failed to start extension '(.*)' \((.*)\), continuing without it/.exec(line);
  if (m === null || !wanted.has(m[1])) return undefined;
  return `extension ${m[1]} did not start in goose: ${m[2]}`;
}

/** The `goose run` command line for a spec. Its MCP extensions are in the run's config file (gooseExtensions). */
export function buildGooseArgs(spec: JobSpec, promptViaStdin = false): string[] {
  const args = ["run", "--no-session", "-q", "--output-format", "stream-json"];
  if (promptViaStdin) args.push("-i", "-");
  else args.push(...(spec.prompt.startsWith("-") ? [`--text=${spec.prompt}`] : ["-t", spec.prompt]));
  if (spec.systemInstructions !== "") args.push(...option("--system", spec.systemInstructions));
  if (spec.maxTurns > 0) args.push("--max-turns", String(spec.maxTurns));
  if (spec.provider !== "") args.push("--provider", spec.provider);
  if (spec.model !== "") args.push(...option("--model", spec.model));
  for (const builtin of spec.builtins) args.push("--with-builtin", builtin);
  return args;
}

/**
 * Goose's name_to_key (crates/goose/src/config/extensions.rs): ASCII letters, digits, `_` and `-`
 * kept, whitespace dropped, anything else `_`, lowercased.
 */
export function gooseKey(name: string): string {
  let key = "";
  for (const c of name) {
    if (/^[A-Za-z0-9_-]$/.test(c)) key += c;
    else if (/^\s$/u.test(c)) continue;
    else key += "_";
  }
  return key.toLowerCase();
}

/** Goose's own default for an extension's timeout (DEFAULT_EXTENSION_TIMEOUT, crates/goose/src/config/extensions.rs). */
const DEFAULT_TIMEOUT_SECONDS = 300;

/**
 * The spec's MCP extensions as entries of goose's config.yaml `extensions:` map, which `goose run`
 * loads when they are enabled (get_enabled_extensions in crates/goose-cli/src/session/builder.rs).
 * Not `--with-extension "K=V cmd"`, whose env values anyone can read in /proc/<pid>/cmdline, nor
 * `--with-streamable-http-extension`, which cannot carry headers. The entry shape is goose's
 * ExtensionEntry: `enabled` beside the ExtensionConfig fields, tagged by `type`
 * (crates/goose/src/agents/extension.rs).
 */
export function gooseExtensions(spec: JobSpec): { entries: Record<string, unknown> } | { error: string } {
  const entries: Record<string, unknown> = {};
  // Goose loads each extension under name_to_key(name) and silently skips one whose key is already
  // loaded (ExtensionManager::add_extension, crates/goose/src/agents/extension_manager.rs), builtins
  // included: two names with one key would leave the job with one of them, whichever started first.
  const owners = new Map(spec.builtins.map((b) => [gooseKey(b), `builtin ${b}`]));
  for (const ext of spec.extensions) {
    const key = gooseKey(ext.name);
    const other = owners.get(key);
    if (other !== undefined) {
      return { error: `extension ${ext.name}: goose would load it and ${other} under one name (${key}), dropping one; rename it` };
    }
    owners.set(key, `extension ${ext.name}`);
    const common = { enabled: true, name: ext.name, description: "", timeout: ext.timeoutSeconds || DEFAULT_TIMEOUT_SECONDS };
    const t = ext.transport;
    if (t.case === "stdio") {
      entries[key] = { ...common, type: "stdio", cmd: t.value.command, args: t.value.args, envs: t.value.env };
    } else if (t.case === "streamableHttp") {
      entries[key] = { ...common, type: "streamable_http", uri: t.value.url, headers: t.value.headers };
    } else {
      return { error: `extension ${ext.name}: no transport` };
    }
  }
  return { entries };
}
