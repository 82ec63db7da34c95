import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";

/** One agent process as the fake agents recorded it, with when it ended or was seen dead. */
export interface Execution {
  pid: number;
  mark: string;
  tag: string;
  start: number;
  /** From the agent's own end record. */
  end?: number;
  exitCode?: number;
  /** When the monitor first saw the process gone or a zombie: an upper bound on its end when there is no end record. */
  goneAt?: number;
}

const MARK = /\bmark=(\S+)/;

/** /proc/<pid>/stat fields after the command name: [state, ppid, pgrp, …]. */
function stat(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie. Zombies count as gone: here nobody reaps reparented orphans, so they stay forever. */
export const running = (pid: number) => {
  const s = stat(pid);
  return s !== undefined && s[0] !== "Z";
};

/**
 * Live (non-zombie) processes whose environment holds `entry` exactly (e.g. this scenario's
 * FAKE_AGENT_RECORD_DIR, which the workers pass on to every agent and agents to their children).
 * Identifies a scenario's processes without trusting pids, which this machine reuses quickly.
 */
export function processesWithEnv(entry: string): Array<{ pid: number; pgid: number }> {
  const out: Array<{ pid: number; pgid: number }> = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, "utf8").split("\0").includes(entry)) continue;
    } catch {
      continue;
    }
    const s = stat(Number(name));
    if (s && s[0] !== "Z") out.push({ pid: Number(name), pgid: Number(s[2]) });
  }
  return out;
}

export const describeProcess = (pid: number) => {
  try {
    return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").slice(0, 200)}`;
  } catch {
    return `${pid} (gone)`;
  }
};

/**
 * Follows FAKE_AGENT_RECORD_DIR/executions.jsonl while the suite runs. The fake agents record their
 * start and normal end; an agent killed by SIGKILL, or dead of EPIPE once its worker died, records
 * no end, so the monitor polls those pids and notes when each was first seen gone. That time is
 * an upper bound of the real end, which keeps the overlap check conservative.
 */
export function startExecutionMonitor(recordDir: string, intervalMs = 20) {
  const file = join(recordDir, "executions.jsonl");
  const byPid = new Map<number, Execution>();
  const all: Execution[] = [];
  let offset = 0;
  let partial = "";

  function readNew() {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= offset) return;
    const fd = openSync(file, "r");
    try {
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const parts = (partial + buf.toString("utf8")).split("\n");
      partial = parts.pop()!;
      for (const line of parts.filter(Boolean)) {
        const r = JSON.parse(line) as { event: string; pid: number; prompt: string; tag?: string; time: string; exitCode?: number };
        if (r.event === "start") {
          const e: Execution = { pid: r.pid, mark: MARK.exec(r.prompt)?.[1] ?? "?", tag: r.tag ?? "?", start: Date.parse(r.time) };
          byPid.set(r.pid, e);
          all.push(e);
        } else {
          const e = byPid.get(r.pid);
          if (e) {
            e.end = Date.parse(r.time);
            e.exitCode = r.exitCode;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  function poll() {
    readNew();
    const now = Date.now();
    for (const e of byPid.values()) {
      if (e.end !== undefined || e.goneAt !== undefined) {
        byPid.delete(e.pid);
        continue;
      }
      if (!running(e.pid)) {
        e.goneAt = now;
        byPid.delete(e.pid);
      }
    }
  }

  const timer = setInterval(poll, intervalMs);
  return {
    poll,
    executions: () => {
      poll();
      return all;
    },
    stop: () => clearInterval(timer),
  };
}

/** Pairs of executions of the same run whose lifetimes overlap (end, else seen-gone, else still alive). */
export function overlaps(execs: Execution[]): Array<[Execution, Execution]> {
  const byMark = new Map<string, Execution[]>();
  for (const e of execs) byMark.set(e.mark, [...(byMark.get(e.mark) ?? []), e]);
  const out: Array<[Execution, Execution]> = [];
  for (const list of byMark.values()) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 0; i < list.length; i++) {
      const until = list[i]!.end ?? list[i]!.goneAt ?? Infinity;
      for (let j = i + 1; j < list.length && list[j]!.start < until; j++) out.push([list[i]!, list[j]!]);
    }
  }
  return out;
}
