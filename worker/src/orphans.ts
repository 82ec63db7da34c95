import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

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
 *
 * A record can only be written once spawn() has returned the pid, and a worker killed in that gap
 * (a few ms per spawn; measured: 5 leaks in 40 kills of a worker spawning 40 agents/s) leaves a
 * group nobody recorded. So every agent also carries FLIGHTCONTROL_AGENT_OF=<worker pid>:<worker
 * start>:<run id>:<work dir> in its environment, which its descendants inherit, and on Linux the
 * restarted worker also kills every process carrying its work dir's marker from a dead worker
 * (Jenkins' ProcessTreeKiller uses the same trick). That also catches descendants that left the
 * group with setsid, unless they scrubbed their environment.
 */

export interface GroupRecord {
  pgid: number;
  runId: string;
  /** Kernel start time of the group leader (Linux), to tell it from a later process with the same pid. */
  leaderStart?: string;
  /** The worker process that started the group; a live one is not a previous incarnation. */
  worker: { pid: number; start?: string };
}

export interface Reaped {
  /** A recorded process group (id is the pgid), or a process found by its environment marker (id is the pid). */
  kind: "group" | "process";
  id: number;
  runId: string;
  /** False when the group was already gone (or the pid now belongs to someone else). */
  killed: boolean;
}

const MARKER = "FLIGHTCONTROL_AGENT_OF";

interface Scope {
  workDir: string;
  runId: string;
}

const scope = new AsyncLocalStorage<Scope>();
let hasProc: boolean | undefined;
const recordsDir = (workDir: string) => join(workDir, "pgids");

/**
 * Runs `fn` so that every process group runProcess starts inside it (however deep in the agent
 * adapters) is recorded under `workDir` for `runId`. A context rather than a parameter because the
 * agent adapters between the runner and runProcess need not know about it.
 */
export function withGroupRecords<T>(workDir: string, runId: string, fn: () => T): T {
  return scope.run({ workDir, runId }, fn);
}

/** The environment marker for an agent started now, or nothing outside withGroupRecords. */
export function agentMarker(): Record<string, string> {
  const s = scope.getStore();
  if (!s) return {};
  return { [MARKER]: `${process.pid}:${ownStart() ?? ""}:${s.runId}:${resolve(s.workDir)}` };
}

let ownStartCache: string | undefined;
const ownStart = () => (ownStartCache ??= startTime(process.pid));

/**
 * Records a just-started process group; returns the function that forgets it once the group is
 * gone, or undefined outside withGroupRecords. Synchronous, so the record is on disk before the
 * worker can do anything else (a SIGKILL between spawn and this write is what the marker covers).
 */
export function recordGroup(pgid: number): (() => void) | undefined {
  const s = scope.getStore();
  if (!s) return undefined;
  const dir = recordsDir(s.workDir);
  const file = join(dir, String(pgid));
  const record: GroupRecord = {
    pgid,
    runId: s.runId,
    leaderStart: startTime(pgid),
    worker: { pid: process.pid, start: ownStart() },
  };
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(record));
  } catch {
    // A full or read-only disk must not fail the run; the group is simply not recoverable after a crash.
    return undefined;
  }
  return () => {
    try {
      rmSync(file, { force: true });
    } catch {
      // A stale record is harmless: its group is gone, or the pid is another process's by then (start time).
    }
  };
}

/**
 * Kills (SIGKILL) every agent process group recorded in `workDir` by a worker process that is no
 * longer alive, and removes their records; then, on Linux, every process still carrying the work
 * dir's marker from a dead worker. Call once at worker start, before connecting.
 */
export function reapOrphans(workDir: string): Reaped[] {
  const reaped = reapRecords(workDir);
  const killedGroups = new Set(reaped.filter((r) => r.killed).map((r) => r.id));
  return [...reaped, ...reapMarked(resolve(workDir), killedGroups)];
}

function reapRecords(workDir: string): Reaped[] {
  const dir = recordsDir(workDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const reaped: Reaped[] = [];
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
    reaped.push({ kind: "group", id: record.pgid, runId: record.runId, killed: killGroup(record) });
    rmSync(file, { force: true });
  }
  return reaped;
}

/**
 * Kills processes whose environment marks them as agents started from `workDir` by a worker that is
 * gone. Repeats the scan a few times: a process not yet killed may fork while we look.
 */
function reapMarked(workDir: string, killedGroups: Set<number>): Reaped[] {
  if (!probeProc()) return [];
  const reaped = new Map<number, Reaped>();
  const pgidOf = new Map<number, number>();
  const owners = new Map<string, boolean>();
  for (let round = 0; round < 10; round++) {
    let found = 0;
    for (const { pid, pgid, marker } of markedProcesses()) {
      if (reaped.has(pid)) continue;
      pgidOf.set(pid, pgid);
      const [ownerPid, ownerStart, runId, ...dir] = marker.split(":");
      if (dir.join(":") !== workDir || !runId) continue;
      const owner = `${ownerPid}:${ownerStart}`;
      if (!owners.has(owner)) owners.set(owner, isSameProcess(Number(ownerPid), ownerStart || undefined));
      if (owners.get(owner) || pid === process.pid) continue;
      found++;
      let killed = false;
      try {
        process.kill(pid, "SIGKILL");
        killed = true;
      } catch {
        // Exited meanwhile.
      }
      reaped.set(pid, { kind: "process", id: pid, runId, killed });
    }
    if (!found) break;
  }
  // Members of a group killed a moment ago may not have died yet; they are reported as that group.
  return [...reaped.values()].filter((r) => r.killed && !killedGroups.has(pgidOf.get(r.id) ?? -1));
}

/** Live (non-zombie) processes with a FLIGHTCONTROL_AGENT_OF marker we may read. */
function* markedProcesses(): Generator<{ pid: number; pgid: number; marker: string }> {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return;
  }
  const key = `${MARKER}=`;
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let environ: string;
    let stat: string;
    try {
      environ = readFileSync(`/proc/${name}/environ`, "utf8");
      if (!environ.includes(key)) continue;
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      // Gone, or another user's process.
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z") continue;
    const entry = environ.split("\0").find((e) => e.startsWith(key));
    if (entry) yield { pid: Number(name), pgid: Number(fields[2]), marker: entry.slice(key.length) };
  }
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

/** Whether the process that had `start` is still running (a zombie is not: it is dead, just not reaped). */
function isSameProcess(pid: number, start: string | undefined): boolean {
  const now = startTime(pid);
  if (now !== undefined) return (start === undefined || now === start) && !isZombie(pid);
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

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

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
    probeProc();
    return undefined;
  }
  // The command name (field 2) is parenthesised and may contain spaces; fields after it are plain.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return rest[19];
}

function probeProc(): boolean {
  if (hasProc !== undefined) return hasProc;
  try {
    readFileSync("/proc/self/stat");
    hasProc = true;
  } catch {
    hasProc = false;
  }
  return hasProc;
}
