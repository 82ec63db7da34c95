import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import type { AgentEvent } from "../../src/gen/flightcontrol/v1/run_pb";
import { createClaudeCodeAgent } from "../../../worker/src/agents/claude-code";
import { createCodexAgent } from "../../../worker/src/agents/codex";
import type { AgentOutcome, AgentOutput } from "../../../worker/src/agents/types";
import type { AgentEvent as WorkerAgentEvent } from "../../../worker/src/gen/flightcontrol/v1/run_pb";
import { JobSpecSchema } from "../../../worker/src/gen/flightcontrol/v1/spec_pb";
import { AS_UNPRIVILEGED, UNPRIVILEGED_UID } from "../../../testkit/agent-clis";
import { createBareRepo, gitIn } from "../../../testkit/git-server";
import { CODEX_MODEL, CODEX_PROVIDER, type RealCliStack } from "./stack";

type Kinds = AgentEvent["kind"];
/** The values of one kind of agent event, in order. */
export function eventsOf<K extends NonNullable<Kinds["case"]>>(events: Array<{ kind: Kinds | WorkerAgentEvent["kind"] }>, kind: K) {
  return events.flatMap((e) => (e.kind.case === kind ? [e.kind.value as Extract<Kinds, { case: K }>["value"]] : []));
}

/** The agent's session id from its start notification ("session <id> started" / "thread <id> started"). */
export function sessionOf(events: Array<{ kind: Kinds | WorkerAgentEvent["kind"] }>): string | undefined {
  for (const n of eventsOf(events, "notification")) {
    const m = /^(?:session|thread) (\S+) started/.exec(n.message);
    if (m) return m[1];
  }
  return undefined;
}

/** Command lines of running processes that contain `needle` (a script tag is in the agent's argv). */
export function psLines(needle: string): string[] {
  const out = spawnSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" }).stdout;
  return out.split("\n").filter((l) => l.includes(needle) && !l.includes("ps -eo"));
}

export interface GitFixture {
  repo(name: string, files: Record<string, string>): { url: string; bare: string; base: string };
  /** A file's content at a branch of a bare repository. */
  show(bare: string, branch: string, path: string): string;
}

export function createGitFixture(stack: RealCliStack): GitFixture {
  return {
    repo(name, files) {
      const bare = createBareRepo(stack.gitRoot, name, files);
      return { url: stack.daemon.url(name), bare, base: gitIn(bare, ["rev-parse", "refs/heads/main"]) };
    },
    show: (bare, branch, path) => `${gitIn(bare, ["show", `refs/heads/${branch}:${path}`])}\n`,
  };
}

export interface DirectRun {
  events: WorkerAgentEvent[];
  outcome: AgentOutcome;
  /** Runs the same CLI again, as the same user in the same directory and environment; resolves with its stdout. */
  rerun(args: string[]): Promise<string>;
}

/**
 * One run of the claude-code or codex adapter in this process, without a worker, as the worker's
 * unprivileged user (a setpriv wrapper as the adapter's binary), in the worker's HOME: for what
 * the worker cannot do on this branch yet (resume a session in a follow-up).
 */
export async function runAgentDirect(stack: RealCliStack, agent: "claude-code" | "codex", prompt: string): Promise<DirectRun> {
  const dir = mkdtempSync(join(stack.base, "direct-"));
  const real = agent === "claude-code" ? stack.clis.claude : stack.clis.codex;
  const unprivileged = process.getuid?.() === 0;
  const bin = join(dir, "agent");
  writeFileSync(bin, `#!/bin/sh\nexec ${unprivileged ? `${AS_UNPRIVILEGED.join(" ")} ` : ""}${real} "$@"\n`);
  chmodSync(bin, 0o755);
  if (unprivileged) chownSync(dir, UNPRIVILEGED_UID, UNPRIVILEGED_UID);
  const env = { ...stack.agentEnv };
  const adapter =
    agent === "claude-code"
      ? createClaudeCodeAgent({ bin, baseEnv: env, agentUid: unprivileged ? UNPRIVILEGED_UID : undefined })
      : createCodexAgent({ bin, baseEnv: env });
  const spec =
    agent === "claude-code"
      ? create(JobSpecSchema, { agent, prompt, model: "claude-sonnet-4-5" })
      : create(JobSpecSchema, { agent, prompt, provider: CODEX_PROVIDER, model: CODEX_MODEL });
  const credentialEnv: Record<string, string> =
    agent === "claude-code"
      ? { ANTHROPIC_API_KEY: "sk-ant-test-5c1e2a9b7d3f", ANTHROPIC_BASE_URL: stack.model.anthropicBaseUrl }
      : { OPENAI_API_KEY: "sk-test-8e4b1f6a2c9d" };
  const gen = adapter.run({ runId: "direct", spec, credentialEnv, workDir: dir, signal: new AbortController().signal, graceMs: 2000 });
  const events: WorkerAgentEvent[] = [];
  let next = await gen.next();
  while (!next.done) {
    const out: AgentOutput = next.value;
    if (out.kind === "event") events.push(out.event);
    next = await gen.next();
  }
  return {
    events,
    outcome: next.value,
    rerun: (args) =>
      new Promise((resolve, reject) => {
        const child = spawn(bin, args, { cwd: dir, env: { ...env, ...credentialEnv }, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        child.on("error", reject);
        child.on("close", (code) =>
          code === 0 ? resolve(out) : reject(new Error(`${agent} exited with ${code}: ${err.slice(-2000)}\n${out.slice(-2000)}`)),
        );
      }),
  };
}
