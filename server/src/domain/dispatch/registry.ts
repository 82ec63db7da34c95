import type { ConnectResponse } from "../../gen/flightcontrol/v1/worker_pb";
import type { SendQueue } from "../../../../shared-src/send-queue";

/** A connected worker as the dispatcher sees it. */
export interface WorkerSession {
  workerId: string;
  name: string;
  /** Workspaces: the session takes only runs of its key's workspace (dispatcher.ts pick). */
  workspaceId: string;
  instanceId: string;
  labels: Record<string, string>;
  agents: Set<string>;
  capacity: number;
  /** How the worker isolates its runs (Hello.sandbox): "bubblewrap"; empty or absent when it does not. */
  sandbox?: string;
  draining: boolean;
  /** Runs this session holds, with the attempt it holds. Change it through the registry once the session is registered. */
  runs: Map<string, number>;
  sendQueue: SendQueue<ConnectResponse>;
  lastSeen: number;
  /**
   * Per held run: the seq up to which its output is stored with no hole (from the run's row when
   * the session took the run, then moved by each stored batch). A batch starting past it, and a
   * finish whose last seq is past it, are neither stored nor acknowledged: the worker resends what
   * is missing first. So an acknowledgement (cumulative, up to a seq) never covers output that is
   * not stored, and the run's last_seq never jumps over a hole — whichever session, old or new,
   * the worker's messages arrive on after a reconnect.
   */
  output: Map<string, RunOutputState>;
}

export interface RunOutputState {
  /** Every seq up to this one is stored. */
  storedSeq: number;
  /** First seq of a batch whose write failed and has not been stored since (logged once). */
  failedSeq?: number;
}

export const freeSlots = (s: WorkerSession): number => (s.draining ? 0 : s.capacity - s.runs.size);

/** A run's required labels, parsed once per queued run rather than once per candidate worker. */
export type RequiredLabels = Array<[string, string]>;

/**
 * JobSpec.network "none" asks for a run cut off from every network, which only a worker that
 * sandboxes its runs can give (its runner refuses such a run otherwise): the run waits for one.
 */
export const needsSandbox = (network: string | null | undefined) => network === "none";

export const sandboxes = (s: WorkerSession): boolean => Boolean(s.sandbox);

export function matches(s: WorkerSession, agent: string, required: RequiredLabels, network = ""): boolean {
  if (!s.agents.has(agent)) return false;
  if (needsSandbox(network) && !sandboxes(s)) return false;
  for (const [k, v] of required) if (s.labels[k] !== v) return false;
  return true;
}

/**
 * Live sessions by worker id, with two indexes kept up to date on every change so the hot paths
 * never scan the fleet: which session holds each run, and which sessions have a free slot.
 */
export function createRegistry() {
  const sessions = new Map<string, WorkerSession>();
  const holders = new Map<string, WorkerSession>();
  const free = new Set<WorkerSession>();

  const reindex = (s: WorkerSession) => {
    if (sessions.get(s.workerId) === s && freeSlots(s) > 0) free.add(s);
    else free.delete(s);
  };

  return {
    sessions,
    get: (workerId: string) => sessions.get(workerId),
    add(s: WorkerSession) {
      sessions.set(s.workerId, s);
      for (const runId of s.runs.keys()) holders.set(runId, s);
      reindex(s);
    },
    /** Removes the session only if it is still the current one for its worker (a takeover may have replaced it). */
    remove(s: WorkerSession) {
      if (sessions.get(s.workerId) !== s) return;
      sessions.delete(s.workerId);
      for (const runId of s.runs.keys()) if (holders.get(runId) === s) holders.delete(runId);
      free.delete(s);
    },
    /** The session now holds this attempt of the run, whose output is stored up to storedSeq. */
    hold(s: WorkerSession, runId: string, attempt: number, storedSeq: number) {
      s.runs.set(runId, attempt);
      s.output.set(runId, { storedSeq });
      if (sessions.get(s.workerId) === s) holders.set(runId, s);
      reindex(s);
    },
    release(s: WorkerSession, runId: string) {
      s.runs.delete(runId);
      s.output.delete(runId);
      if (holders.get(runId) === s) holders.delete(runId);
      reindex(s);
    },
    setDraining(s: WorkerSession) {
      s.draining = true;
      reindex(s);
    },
    holderOf: (runId: string): WorkerSession | undefined => holders.get(runId),
    /** Sessions with a free slot, live: the set changes as slots are taken and freed. */
    withFreeSlots: (): ReadonlySet<WorkerSession> => free,
  };
}

export type Registry = ReturnType<typeof createRegistry>;
