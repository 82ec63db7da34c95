import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { afterEach } from "vitest";
import { LogStream, type AgentEvent } from "../../src/gen/flightcontrol/v1/run_pb";
import { JobSpecSchema, type JobSpec } from "../../src/gen/flightcontrol/v1/spec_pb";
import type { Agent, AgentOutcome, AgentOutput, AgentRunContext } from "../../src/agents/types";
import { removeTempDirs, tempDir } from "../../../testkit/temp-dir";

// Each run's work dir goes after its test, not only when the test process exits.
afterEach(removeTempDirs);

export function spec(init: MessageInitShape<typeof JobSpecSchema> & { prompt: string }): JobSpec {
  return create(JobSpecSchema, { agent: "goose", ...init });
}

export function context(jobSpec: JobSpec, extra: Partial<Omit<AgentRunContext, "spec">> = {}): AgentRunContext & { abort: AbortController } {
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
export async function collect(gen: AsyncGenerator<AgentOutput, AgentOutcome, void>, onOutput?: (o: AgentOutput) => void): Promise<Collected> {
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

/** Reads "spawned child pid=<n> group=<g>" printed by a fake with spawn_child. */
export function spawnedChild(outputs: AgentOutput[]): { pid: number; group: number } | undefined {
  for (const line of logs(outputs)) {
    const m = /^spawned child pid=(\d+) group=(\d+)$/.exec(line);
    if (m) return { pid: Number(m[1]), group: Number(m[2]) };
  }
  return undefined;
}
