import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Agent process groups that outlive a SIGKILLed worker.
 *
 * A worker kills its agent's process group whenever a run ends, but a worker that is SIGKILLed (OOM
 * killer, `kill -9`, a crashed container runtime) cannot: its agents live on. Their stdout is a pipe
 * to the dead worker, so nothing they print reaches the server, but they keep their side effects
 * (files, API calls, tool use) until they exit on their own, and the server requeues the run
 * elsewhere once the lost-worker lease (ORCH_WORKER_LOST_AFTER_MS, default 15 s) expires. So each
 * running agent's process-group id is written to `<workDir>/pgids/<pgid>` while it runs, and a worker
 * starting in the same work dir (a supervisor restarting the crashed worker) SIGKILLs every group a
 * previous incarnation left behind before it connects. That closes the window whenever the
 * replacement starts within the lease; without a replacement the window is the agent's own lifetime.
 */

export interface GroupRecord {
  pgid: number;
  runId: string;
  /** Kernel start time of the group leader (Linux), to tell it from a later process with the same pid. */
  leaderStart?: string;
  /** The worker process that started the group; a live one is not a previous incarnation. */
  worker: { pid: number; start?: string };
}

export interface ReapedGroup {
  pgid: number;
  runId: string;
  /** False when the group was already gone (or the pid now belongs to someone else). */
  killed: boolean;
}

interface Scope {
  workDir: string;
  runId: string;
}

const scope = new AsyncLocalStorage<Scope>();
const recordsDir = (workDir: string) => join(workDir, "pgids");

/**
 * Runs `fn` so that every process group runProcess starts inside it (however deep in the agent
 * adapters) is recorded under `workDir` for `runId`. A context rather than a parameter because the
 * agent adapters between the runner and runProcess need not know about it.
 */
export function withGroupRecords<T>(workDir: string, runId: string, fn: () => T): T {
  return scope.run({ workDir, runId }, fn);
}

/**
 * Records a just-started process group; returns the function that forgets it once the group is
 * gone, or undefined outside withGroupRecords. Synchronous, so the record is on disk before the
 * worker can do anything else (a SIGKILL between spawn and this write is the remaining gap).
 */
export function recordGroup(pgid: number): (() => void) | undefined {
  const s = scope.getStore();
  if (!s) return undefined;
  const dir = recordsDir(s.workDir);
  const file = join(dir, String(pgid));
  const record: GroupRecord = {
    pgid, runId: s.runId, leaderStart: startTime(pgid), worker: { pid: process.pid, start: startTime(process.pid) },
  };
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(record));
  } catch {
    // A full or read-only disk must not fail the run; the group is simply not recoverable after a crash.
    return undefined;
  }
  return () => rmSync(file, { force: true });
}

/**
 * Kills (SIGKILL) every agent process group recorded in `workDir` by a worker process that is no
 * longer alive, and removes their records. Call once at worker start, before connecting.
 */
export function reapOrphans(workDir: string): ReapedGroup[] {
  const dir = recordsDir(workDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const reaped: ReapedGroup[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let record: GroupRecord;
    try {
      record = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      // Torn write from a crash mid-record: nothing usable in it.
      rmSync(file, { force: true });
      continue;
    }
    // This worker's own runs, or another live worker sharing the work dir (a misconfiguration): not orphans.
    // In a container the new incarnation often gets the old one's pid; the start time tells them apart.
    if (isSameProcess(record.worker.pid, record.worker.start)) continue;
    reaped.push({ pgid: record.pgid, runId: record.runId, killed: killGroup(record) });
    rmSync(file, { force: true });
  }
  return reaped;
}

function killGroup(record: GroupRecord): boolean {
  const { pgid } = record;
  if (!Number.isInteger(pgid) || pgid <= 1 || pgid === process.pid) return false;
  // A pid number cannot be reused while any process still has it as its pgid (Linux keeps the number
  // allocated), so a live process with that pid but another start time means the group is long gone.
  const now = startTime(pgid);
  if (now !== undefined && record.leaderStart !== undefined && now !== record.leaderStart) return false;
  try {
    process.kill(-pgid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

function isSameProcess(pid: number, start: string | undefined): boolean {
  const now = startTime(pid);
  if (now !== undefined) return start === undefined || now === start;
  // No /proc (macOS): fall back to "a process with this pid exists".
  if (!hasProc) {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return false;
}

let hasProc: boolean | undefined;

/**
 * The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined
 * when the process does not exist or there is no /proc. Zombies count as existing: their pid is
 * still taken.
 */
export function startTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    hasProc = true;
  } catch {
    hasProc ??= probeProc();
    return undefined;
  }
  // The command name (field 2) is parenthesised and may contain spaces; fields after it are plain.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return rest[19];
}

function probeProc(): boolean {
  try {
    readFileSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
}
