import { create } from "@bufbuild/protobuf";
import { pino } from "pino";
import { Writable } from "node:stream";
import { createShellAgent } from "../../src/agents/shell";
import { AssignSchema } from "../../src/gen/flightcontrol/v1/worker_pb";
import type { RunLog } from "../../src/run-log";
import { startRun } from "../../src/runner";
import { probeBubblewrap } from "../../src/sandbox/probe";
import { selectSandbox, type SandboxSettings, type WorkerSandbox } from "../../src/sandbox/worker-sandbox";

/**
 * These suites need a working bubblewrap: they fail (not skip) without one, saying how to get it,
 * so CI cannot pass them by not having it (.ci/run installs it).
 */
export function requireBubblewrap(): void {
  const failure = probeBubblewrap({ bin: "bwrap", hide: [], hiddenDirs: new Set(), show: [] });
  if (failure !== undefined) {
    throw new Error(`the sandbox tests need a working bubblewrap (apt-get install bubblewrap; user namespaces allowed): ${failure}`);
  }
}

/** A logger whose lines the test can read. */
export function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: pino({ level: "info" }, sink), lines };
}

export function bubblewrapFor(workDir: string, extra: Partial<SandboxSettings> = {}, env: NodeJS.ProcessEnv = process.env): WorkerSandbox {
  const sandbox = selectSandbox({ mode: "bubblewrap", bwrapBin: "bwrap", workDir, extraHide: [], show: [], ...extra }, capturedLogger().log, [], env);
  if (!sandbox) throw new Error("selectSandbox returned no sandbox in bubblewrap mode");
  return sandbox;
}

let runCounter = 0;

/** A shell-agent run through the real runner (setup script, sandbox, masking), with its log lines. */
export function shellRun(opts: {
  prompt: string;
  workDir: string;
  sandbox?: WorkerSandbox;
  env?: Record<string, string>;
  network?: string;
  setupScript?: string;
  killGraceMs?: number;
}) {
  const lines: string[] = [];
  const log = { log: (_stream: unknown, text: string) => lines.push(text), event: () => {} } as unknown as RunLog;
  runCounter += 1;
  const assign = create(AssignSchema, {
    runId: `00000000-0000-4000-8000-${String(runCounter).padStart(12, "0")}`,
    attempt: 1,
    firstSeq: 1n,
    spec: { agent: "shell", prompt: opts.prompt, timeoutSeconds: 120, network: opts.network ?? "", setupScript: opts.setupScript ?? "" },
    env: opts.env ?? {},
  });
  const agents = new Map([["shell", createShellAgent({ baseEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin" } })]]);
  const run = startRun(assign, log, {
    agents,
    workDir: opts.workDir,
    workerName: "w-sandbox",
    killGraceMs: opts.killGraceMs ?? 5000,
    sandbox: opts.sandbox,
  });
  return { run, lines, output: () => lines.join("\n") };
}
