import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunOutput } from "../server/src/gen/flightcontrol/v1/run_pb";

export interface Execution {
  event: "start" | "end";
  pid: number;
  prompt: string;
  tag?: string;
  time: string;
}

/** What the fake agents recorded in FAKE_AGENT_RECORD_DIR: one line per execution start and end. */
export function readExecutions(dir: string): Execution[] {
  const file = join(dir, "executions.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Highest number of executions that overlapped in time, per tag. */
export function maxConcurrency(execs: Execution[]): Map<string, number> {
  const byTag = new Map<string, number>();
  const current = new Map<string, number>();
  for (const e of [...execs].sort((a, b) => a.time.localeCompare(b.time) || (a.event === "end" ? -1 : 1))) {
    const tag = e.tag ?? "";
    const n = (current.get(tag) ?? 0) + (e.event === "start" ? 1 : -1);
    current.set(tag, n);
    byTag.set(tag, Math.max(byTag.get(tag) ?? 0, n));
  }
  return byTag;
}

export const seqs = (items: RunOutput[]) => items.map((i) => Number(i.seq));

/** True when seqs are exactly 1..n. */
export const contiguous = (s: number[]) => s.every((v, i) => v === i + 1);
