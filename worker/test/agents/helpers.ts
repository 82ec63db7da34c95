import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import { LogStream, type AgentEvent } from "../../src/gen/flightcontrol/v1/run_pb";
import { JobSpecSchema, type JobSpec } from "../../src/gen/flightcontrol/v1/spec_pb";
import type { Agent, AgentOutcome, AgentOutput, AgentRunContext } from "../../src/agents/types";

export const FIXTURES = fileURLToPath(new URL("../fixtures", import.meta.url));
export const FAKE_GOOSE = join(FIXTURES, "fake-goose");
export const FAKE_CLAUDE = join(FIXTURES, "fake-claude");
export const FAKE_CODEX = join(FIXTURES, "fake-codex");

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temporary directory removed after the test. */
export function tempDir(prefix = "fc-agent-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function spec(init: MessageInitShape<typeof JobSpecSchema> & { prompt: string }): JobSpec {
  return create(JobSpecSchema, { agent: "goose", ...init });
}

export function context(
  jobSpec: JobSpec,
  extra: Partial<Omit<AgentRunContext, "spec">> = {},
): AgentRunContext & { abort: AbortController } {
  const abort = new AbortController();
  return {
    runId: "00000000-0000-4000-8000-000000000001",
    spec: jobSpec,
    credentialEnv: {},
    workDir: tempDir("fc-run-"),
    signal: abort.signal,
    graceMs: 2000,
    abort,
    ...extra,
  };
}

export interface Collected {
  outputs: AgentOutput[];
  outcome: AgentOutcome;
}

/** Drains a run; `onOutput` sees each item as it arrives (to abort at a chosen point). */
export async function collect(
  gen: AsyncGenerator<AgentOutput, AgentOutcome, void>,
  onOutput?: (o: AgentOutput) => void,
): Promise<Collected> {
  const outputs: AgentOutput[] = [];
  for (;;) {
    const next = await gen.next();
    if (next.done) return { outputs, outcome: next.value };
    outputs.push(next.value);
    onOutput?.(next.value);
  }
}

export async function runAgent(agent: Agent, ctx: AgentRunContext, onOutput?: (o: AgentOutput) => void) {
  return collect(agent.run(ctx), onOutput);
}

export function logs(outputs: AgentOutput[], stream?: LogStream): string[] {
  return outputs.flatMap((o) => (o.kind === "log" && (stream === undefined || o.stream === stream) ? [o.text] : []));
}

export function events(outputs: AgentOutput[]): AgentEvent[] {
  return outputs.flatMap((o) => (o.kind === "event" ? [o.event] : []));
}

/** Events as compact [case, value] pairs for readable assertions. */
export function eventSummary(outputs: AgentOutput[]): Array<[string, Record<string, unknown>]> {
  return events(outputs).map((e) => {
    const { $typeName: _t, ...value } = e.kind.value as unknown as Record<string, unknown>;
    return [String(e.kind.case), value];
  });
}

/** The argv a fake printed on stderr for the dump_args directive. */
export function dumpedArgs(outputs: AgentOutput[]): string[] {
  const line = logs(outputs, LogStream.STDERR).find((l) => l.startsWith("argv "));
  if (line === undefined) throw new Error("no argv dump in stderr");
  return JSON.parse(line.slice("argv ".length)) as string[];
}

/** Polls until `check` holds; never sleeps a fixed time for the answer itself. */
export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True once no process is left in the group (kill(-pgid, 0) fails with ESRCH). */
export function groupGone(pgid: number): boolean {
  return processGone(-pgid);
}

export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Reads "spawned child pid=<n> group=<g>" printed by a fake with spawn_child. */
export function spawnedChild(outputs: AgentOutput[]): { pid: number; group: number } | undefined {
  for (const line of logs(outputs)) {
    const m = /^spawned child pid=(\d+) group=(\d+)$/.exec(line);
    if (m) return { pid: Number(m[1]), group: Number(m[2]) };
  }
  return undefined;
}
