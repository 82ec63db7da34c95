import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { JobSpec } from "../gen/flightcontrol/v1/spec_pb";
import { runCliAgent } from "./cli-agent";
import { buildAgentEnv } from "./env";
import { gooseSessionName, gooseSessions, goosePathRoot, withGooseSession } from "./sessions";
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
  const promptFile = promptTooLongForArgv(ctx.spec.prompt) ? await writePromptFile(ctx.workDir, ctx.spec.prompt) : undefined;
  // Goose keeps config, sessions and logs under this root; one per run keeps runs apart.
  const pathRoot = goosePathRoot(ctx.workDir);
  const session = gooseSessionName(ctx.runId, ctx.resumeSessionId);
  await mkdir(pathRoot, { recursive: true });
  const extensions = gooseExtensions(ctx.spec);
  if ("error" in extensions) return { ok: false, error: extensions.error };
  if (Object.keys(extensions.entries).length > 0) {
    // JSON is YAML, so goose reads this as its config.yaml ($GOOSE_PATH_ROOT/config/config.yaml,
    // crates/goose/src/config/paths.rs).
    await writePrivateFile(join(pathRoot, "config", "config.yaml"), JSON.stringify({ extensions: extensions.entries }));
  }
  const env = buildAgentEnv(
    options.baseEnv ?? process.env,
    { GOOSE_MODE: "auto", GOOSE_DISABLE_KEYRING: "1", GOOSE_PATH_ROOT: pathRoot },
    ctx.credentialEnv,
  );
  return yield* runCliAgent(ctx, {
    label: "goose",
    bin: options.bin,
    binHint: "set ORCH_GOOSE_BIN",
    args: withGooseSession(buildGooseArgs(ctx.spec, promptFile), session, ctx.resumeSessionId !== undefined),
    env,
    parser: createGooseParser(),
    terminalEvent: "complete",
    sessionId: session,
  });
}

/** The `goose run` command line for a spec. Its MCP extensions are in the run's config file (gooseExtensions). */
export function buildGooseArgs(spec: JobSpec, promptFile?: string): string[] {
  const args = ["run", "--no-session", "-q", "--output-format", "stream-json"];
  if (promptFile !== undefined) args.push("-i", promptFile);
  else args.push(...(spec.prompt.startsWith("-") ? [`--text=${spec.prompt}`] : ["-t", spec.prompt]));
  if (spec.systemInstructions !== "") args.push(...option("--system", spec.systemInstructions));
  if (spec.maxTurns > 0) args.push("--max-turns", String(spec.maxTurns));
  if (spec.provider !== "") args.push("--provider", spec.provider);
  if (spec.model !== "") args.push(...option("--model", spec.model));
  for (const builtin of spec.builtins) args.push("--with-builtin", builtin);
  return args;
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
  for (const ext of spec.extensions) {
    // Goose keys entries by the lowercased name (name_to_key).
    const key = ext.name.toLowerCase();
    if (key in entries) return { error: `extension ${ext.name}: goose names extensions case-insensitively, and another one is also called ${key}` };
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
