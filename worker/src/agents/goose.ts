import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { JobSpec, McpExtension } from "../gen/flightcontrol/v1/spec_pb";
import { runCliAgent } from "./cli-agent";
import { buildAgentEnv } from "./env";
import { createGooseParser } from "./goose-events";
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
    run: (ctx) => runGoose(options, ctx),
  };
}

async function* runGoose(options: GooseAgentOptions, ctx: AgentRunContext): AsyncGenerator<AgentOutput, AgentOutcome, void> {
  const promptFile = promptTooLongForArgv(ctx.spec.prompt) ? await writePromptFile(ctx.workDir, ctx.spec.prompt) : undefined;
  const built = buildGooseArgs(ctx.spec, promptFile);
  if ("error" in built) return { ok: false, error: built.error };
  // Goose keeps config, sessions and logs under this root; one per run keeps runs apart.
  const pathRoot = join(ctx.workDir, ".goose");
  await mkdir(pathRoot, { recursive: true });
  const env = buildAgentEnv(
    options.baseEnv ?? process.env,
    { GOOSE_MODE: "auto", GOOSE_DISABLE_KEYRING: "1", GOOSE_PATH_ROOT: pathRoot },
    ctx.credentialEnv,
  );
  return yield* runCliAgent(ctx, {
    label: "goose",
    bin: options.bin,
    binHint: "set ORCH_GOOSE_BIN",
    args: built.args,
    env,
    parser: createGooseParser(),
    terminalEvent: "complete",
  });
}

/** The `goose run` command line for a spec, or why goose cannot express it. */
export function buildGooseArgs(spec: JobSpec, promptFile?: string): { args: string[] } | { error: string } {
  const args = ["run", "--no-session", "-q", "--output-format", "stream-json"];
  if (promptFile !== undefined) args.push("-i", promptFile);
  else args.push(...(spec.prompt.startsWith("-") ? [`--text=${spec.prompt}`] : ["-t", spec.prompt]));
  if (spec.systemInstructions !== "") args.push(...option("--system", spec.systemInstructions));
  if (spec.maxTurns > 0) args.push("--max-turns", String(spec.maxTurns));
  if (spec.provider !== "") args.push("--provider", spec.provider);
  if (spec.model !== "") args.push(...option("--model", spec.model));
  for (const builtin of spec.builtins) args.push("--with-builtin", builtin);
  for (const ext of spec.extensions) {
    const flag = extensionArgs(ext);
    if ("error" in flag) return flag;
    args.push(...flag.args);
  }
  return { args };
}

function extensionArgs(ext: McpExtension): { args: string[] } | { error: string } {
  const t = ext.transport;
  if (t.case === "stdio") {
    // goose splits this value on whitespace: leading NAME=value words are env, the rest is the command.
    const words = [...Object.entries(t.value.env).map(([k, v]) => `${k}=${v}`), t.value.command, ...t.value.args];
    if (words.some((w) => w === "" || /\s/.test(w))) {
      return { error: `extension ${ext.name}: goose --with-extension cannot carry empty values or whitespace in its command, args or env` };
    }
    if (t.value.command.includes("=")) {
      return { error: `extension ${ext.name}: goose would read a command containing "=" as an env variable` };
    }
    return { args: ["--with-extension", words.join(" ")] };
  }
  if (t.case === "streamableHttp") {
    if (Object.keys(t.value.headers).length > 0) {
      // Dropping them would fail later as a confusing auth error inside the agent.
      return { error: `extension ${ext.name}: goose's command line cannot send HTTP headers to a streamable_http extension` };
    }
    if (/\s/.test(t.value.url)) return { error: `extension ${ext.name}: url contains whitespace` };
    const timeout = ext.timeoutSeconds > 0 ? ` timeout=${ext.timeoutSeconds}` : "";
    return { args: ["--with-streamable-http-extension", `${t.value.url}${timeout}`] };
  }
  return { error: `extension ${ext.name}: no transport` };
}
