import { readdirSync, readFileSync, statSync } from "node:fs";
import type { AgentEvent } from "../../src/gen/flightcontrol/v1/run_pb";
import type { AgentEvent as WorkerAgentEvent } from "../../../worker/src/gen/flightcontrol/v1/run_pb";
import { createBareRepo, gitIn } from "../../../testkit/git-server";
import type { RealCliStack } from "./stack";

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

/**
 * Processes whose stdin is a file holding `tag`: the agent CLIs read their prompt from stdin (a file
 * in the run's dir; issue 15, defect 8), so a script's tag is in no argv. Their children (tools, MCP
 * servers) inherit it unless they were given their own stdin. /proc/<pid>/fd/0 opens the file even
 * once the run's dir is gone.
 */
export function agentPids(tag: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stdin = `/proc/${entry}/fd/0`;
      const st = statSync(stdin);
      // A prompt file is small; other processes' big stdin files are not read.
      if (st.isFile() && st.size < 1 << 20 && readFileSync(stdin, "utf8").includes(tag)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
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
