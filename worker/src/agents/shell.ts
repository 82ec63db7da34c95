import { LogStream } from "../gen/flightcontrol/v1/run_pb";
import { runCliAgent } from "./cli-agent";
import { buildAgentEnv } from "./env";
import { logLine } from "./events";
import type { StreamParser } from "./stream-parser";
import type { Agent, AgentOutcome, AgentOutput, AgentRunContext } from "./types";

export interface ShellAgentOptions {
  /** Defaults to /bin/sh. */
  shell?: string;
  baseEnv?: NodeJS.ProcessEnv;
}

/** Runs the prompt as a shell command line; success is exit code 0. */
export function createShellAgent(options: ShellAgentOptions = {}): Agent {
  return {
    name: "shell",
    run: (ctx) => runShell(options, ctx),
  };
}

function runShell(options: ShellAgentOptions, ctx: AgentRunContext): AsyncGenerator<AgentOutput, AgentOutcome, void> {
  const shell = options.shell ?? "/bin/sh";
  return runCliAgent(ctx, {
    label: "shell",
    bin: shell,
    args: ["-c", ctx.spec.prompt],
    env: buildAgentEnv(options.baseEnv ?? process.env, {}, ctx.credentialEnv),
    parser: createPlainParser(),
    terminalEvent: "exit",
  });
}

/** Plain output: every line is a log line; the last non-empty one serves as the run's result. */
function createPlainParser(): StreamParser {
  let last: string | undefined;
  return {
    line(text) {
      if (text.trim() !== "") last = text;
      return [logLine(LogStream.STDOUT, text)];
    },
    end: () => [],
    verdict: () => ({ finished: true, result: last }),
  };
}
