import type { ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startWorker } from "../../../testkit/worker-process";
import { startProxy, type FaultProxy } from "./proxy";

const KEEP_LINES = 200;

export interface WorkerIncarnation {
  tag: string;
  child: ChildProcess;
  exited: Promise<void>;
  /** Times (ms) of the worker's "connected" log lines: each is a session the server welcomed. */
  connects: number[];
  /** Agent process groups (and stray marked processes) it killed at start, left by the incarnation before it. */
  reaped: number;
  /** When it checked for (and killed) its predecessor's agents, before connecting. */
  reapAt?: number;
  /** When the test SIGKILLed it. */
  killedAt?: number;
  /** Runs it stopped itself after losing contact with the server (worker/src/fence.ts), by run id. */
  fenced: Map<string, number>;
  /** When the test cut it off from the server for longer than the lease. */
  partitionedAt: number[];
  /** What its reap found (kept apart from the bounded tail, for failure messages). */
  reapedGroups: string[];
  /** The last lines it printed, for failure messages. */
  tail(): string;
}

/**
 * One worker "slot": a name, a work dir and a proxy that outlive the processes started in it, the
 * way a supervisor (systemd, Kubernetes) restarts a crashed worker with the same identity and disk.
 */
export interface WorkerSlot {
  name: string;
  workDir: string;
  proxy: FaultProxy;
  current?: WorkerIncarnation;
  incarnations: WorkerIncarnation[];
}

export interface SlotOptions {
  name: string;
  rootDir: string;
  serverPort: number;
  recordDir: string;
  capacity: number;
}

export async function createSlot(
  opts: SlotOptions,
): Promise<WorkerSlot & { start(): WorkerIncarnation; kill(): Promise<void>; dispose(): Promise<void> }> {
  const workDir = join(opts.rootDir, opts.name);
  mkdirSync(workDir, { recursive: true });
  const proxy = await startProxy(opts.serverPort);
  const slot: WorkerSlot = { name: opts.name, workDir, proxy, incarnations: [] };

  let disposed = false;

  function start(): WorkerIncarnation {
    // A replacement scheduled by a fault still in flight when the scenario ended must not start.
    if (disposed) throw new Error(`slot ${opts.name} is disposed`);
    const tag = `${opts.name}#${slot.incarnations.length + 1}`;
    const lines: string[] = [];
    const connects: number[] = [];
    const onLine = (line: string) => {
      lines.push(line);
      if (lines.length > KEEP_LINES) lines.shift();
      if (!line.startsWith("{")) return;
      let entry: { time: string; msg: string; runs?: string[]; reaped?: Array<{ kind: string; id: number; runId: string; killed: boolean }> };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      const time = Date.parse(entry.time);
      if (entry.msg === "connected") connects.push(time);
      else if (entry.msg.startsWith("lost contact with the server")) for (const id of entry.runs ?? []) inc.fenced.set(id, time);
      // The reap happens before the worker logs "starting" (and before it connects): "starting" bounds its time.
      else if (entry.msg === "orphan check" || (entry.msg === "starting" && inc.reapAt === undefined)) inc.reapAt = time;
      if (entry.reaped) {
        inc.reaped += entry.reaped.filter((r) => r.killed).length;
        inc.reapedGroups.push(...entry.reaped.map((r) => `${r.kind} ${r.id} (run ${r.runId.slice(0, 13)}…) ${r.killed ? "killed" : "gone"}`));
      }
    };
    // The slot's work dir, kept across incarnations: the real worker reaps what its predecessor left there.
    const proc = startWorker(proxy.url, {
      name: opts.name,
      capacity: opts.capacity,
      agents: "goose",
      workDir,
      onLine,
      env: { FAKE_AGENT_RECORD_DIR: opts.recordDir, FAKE_AGENT_RUN_TAG: tag },
    });
    const child = proc.child;
    const exited = proc.exited.then(() => undefined);
    const inc: WorkerIncarnation = {
      tag,
      child,
      exited,
      connects,
      reaped: 0,
      reapedGroups: [],
      fenced: new Map(),
      partitionedAt: [],
      tail: () => `--- ${tag} ---\n${lines.join("\n")}`,
    };
    slot.incarnations.push(inc);
    slot.current = inc;
    return inc;
  }

  async function kill() {
    const inc = slot.current;
    slot.current = undefined;
    if (!inc) return;
    if (inc.child.exitCode === null && inc.child.signalCode === null) {
      inc.killedAt = Date.now();
      inc.child.kill("SIGKILL");
    }
    await inc.exited;
  }

  async function dispose() {
    disposed = true;
    await kill();
    await proxy.close();
  }

  return Object.assign(slot, { start, kill, dispose });
}

export type Slot = Awaited<ReturnType<typeof createSlot>>;
