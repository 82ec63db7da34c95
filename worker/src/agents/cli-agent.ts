import { LogStream } from "../gen/flightcontrol/v1/run_pb";
import { logLine } from "./events";
import { runProcess } from "./process";
import type { StreamParser } from "./stream-parser";
import type { AgentOutcome, AgentOutput, AgentRunContext } from "./types";

export interface CliInvocation {
  label: string;
  bin: string;
  binHint?: string;
  args: string[];
  env: Record<string, string>;
  stdinFile?: string;
  parser: StreamParser;
  /** Names the event that marks a normal end, for the failure message when it never came. */
  terminalEvent: string;
  /** Finds the agent's session id in a line of its stdout (agents/sessions.ts); the last one found is kept. */
  sessionIdOf?: (line: string) => string | undefined;
  /** The session id when the worker chose it (goose's session name). */
  sessionId?: string;
  /**
   * Reads each stderr line for a failure the CLI reports there but does not exit on (Goose's
   * "Failed to start extension"); the first one it returns fails the run.
   */
  stderrFailure?: (line: string) => string | undefined;
}

/** Runs an agent CLI and turns its output and exit into AgentOutputs and an AgentOutcome. */
export async function* runCliAgent(ctx: AgentRunContext, inv: CliInvocation): AsyncGenerator<AgentOutput, AgentOutcome, void> {
  const proc = runProcess({
    label: inv.label,
    bin: inv.bin,
    binHint: inv.binHint,
    args: inv.args,
    env: inv.env,
    cwd: ctx.cwd ?? ctx.workDir,
    signal: ctx.signal,
    graceMs: ctx.graceMs,
    killSignal: ctx.killSignal,
    stdinFile: inv.stdinFile,
    sandbox: ctx.sandbox,
  });
  let lastStderr = "";
  let sessionId = inv.sessionId;
  let stderrFailure: string | undefined;
  try {
    let next = await proc.next();
    while (!next.done) {
      const { stream, text } = next.value;
      if (stream === "stdout") {
        sessionId = inv.sessionIdOf?.(text) ?? sessionId;
        yield* inv.parser.line(text);
      } else {
        if (text.trim() !== "") lastStderr = text.trim();
        stderrFailure ??= inv.stderrFailure?.(text);
        yield logLine(LogStream.STDERR, text);
      }
      next = await proc.next();
    }
    yield* inv.parser.end();
    const exit = next.value;
    const verdict = inv.parser.verdict();
    const base: AgentOutcome = {
      ok: false,
      exitCode: exit.exitCode,
      signal: exit.signal,
      result: verdict.result,
      usage: verdict.usage,
      // An agent that never started has no session, whatever name the worker meant to give it.
      sessionId: exit.spawnError === undefined ? sessionId : undefined,
    };
    const error = failure();
    return error === undefined ? { ...base, ok: true } : { ...base, error };

    function failure(): string | undefined {
      if (exit.spawnError !== undefined) return exit.spawnError;
      // What the CLI carried on without (an extension) is the cause of whatever followed.
      if (stderrFailure !== undefined) return stderrFailure;
      if (verdict.error !== undefined) return verdict.error;
      if (exit.signal !== undefined) return `${inv.label} was killed by ${exit.signal}`;
      if (exit.exitCode !== 0) {
        // Not cut here: the runner cuts errors after masking them, or a cut secret would no longer match.
        return `${inv.label} exited with code ${exit.exitCode}${lastStderr ? `: ${lastStderr}` : ""}`;
      }
      if (!verdict.finished) return `${inv.label} output ended without a ${inv.terminalEvent} event`;
      return undefined;
    }
  } finally {
    // Ends the process group when our consumer stopped early.
    await proc.return({});
  }
}
