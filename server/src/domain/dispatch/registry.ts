import type { ConnectResponse } from "../../gen/flightcontrol/v1/worker_pb";
import type { Outbox } from "../outbox";

/** A connected worker as the dispatcher sees it. */
export interface WorkerSession {
  workerId: string;
  name: string;
  instanceId: string;
  labels: Record<string, string>;
  agents: Set<string>;
  capacity: number;
  draining: boolean;
  /** Runs this session holds, with the attempt it holds. */
  runs: Map<string, number>;
  outbox: Outbox<ConnectResponse>;
  lastSeen: number;
}

export const freeSlots = (s: WorkerSession): number => (s.draining ? 0 : s.capacity - s.runs.size);

export function matches(s: WorkerSession, agent: string, requiredLabels: Record<string, string>): boolean {
  if (!s.agents.has(agent)) return false;
  for (const [k, v] of Object.entries(requiredLabels)) if (s.labels[k] !== v) return false;
  return true;
}

/** Live sessions by worker id, plus which session holds each run. */
export function createRegistry() {
  const sessions = new Map<string, WorkerSession>();
  return {
    sessions,
    get: (workerId: string) => sessions.get(workerId),
    add: (s: WorkerSession) => void sessions.set(s.workerId, s),
    /** Removes the session only if it is still the current one for its worker (a takeover may have replaced it). */
    remove: (s: WorkerSession) => {
      if (sessions.get(s.workerId) === s) sessions.delete(s.workerId);
    },
    holderOf(runId: string): WorkerSession | undefined {
      for (const s of sessions.values()) if (s.runs.has(runId)) return s;
      return undefined;
    },
    withFreeSlots: () => [...sessions.values()].filter((s) => freeSlots(s) > 0),
  };
}

export type Registry = ReturnType<typeof createRegistry>;
