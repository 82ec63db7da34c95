import { LogStream } from "../gen/flightcontrol/v1/run_pb";
import { runProcess } from "../agents/process";
import type { RunSandbox } from "../sandbox/run-sandbox";

export interface SetupScriptOptions {
  script: string;
  cwd: string;
  /** The run's environment: what the agent gets (credential_ids included, git's credential not). */
  env: Record<string, string>;
  signal: AbortSignal;
  killSignal?: AbortSignal;
  graceMs: number;
  log: (stream: LogStream, text: string) => void;
  /** The run's sandbox (ORCH_SANDBOX): the script runs in it, as the agent does. */
  sandbox?: RunSandbox;
}

/**
 * Runs JobSpec.setup_script with `sh -c` in the checkout, in its own process group like an agent
 * (so a cancel or the deadline stops it), logging its output as the run's. Throws the run's error
 * when it fails.
 */
export async function runSetupScript(opts: SetupScriptOptions): Promise<void> {
  opts.log(LogStream.SYSTEM, "setup: running the setup script");
  const started = Date.now();
  const proc = runProcess({
    label: "setup script",
    bin: "/bin/sh",
    args: ["-c", opts.script],
    env: opts.env,
    cwd: opts.cwd,
    signal: opts.signal,
    graceMs: opts.graceMs,
    killSignal: opts.killSignal,
    sandbox: opts.sandbox,
  });
  let next = await proc.next();
  while (!next.done) {
    opts.log(next.value.stream === "stdout" ? LogStream.STDOUT : LogStream.STDERR, next.value.text);
    next = await proc.next();
  }
  const exit = next.value;
  if (exit.spawnError) throw new Error(`setup script could not start: ${exit.spawnError}`);
  if (exit.signal) throw new Error(`setup script was killed by ${exit.signal}`);
  if (exit.exitCode !== 0) throw new Error(`setup script failed (exit ${exit.exitCode})`);
  opts.log(LogStream.SYSTEM, `setup: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
