import type { RunOutput } from "../../gen/flightcontrol/v1/run_pb";
import type { RunStatusColumn } from "../../storage/entities";
import type { EventBus } from "../events";

export interface OutputSubscriber {
  /** Called with items in seq order as they are stored; may include items already seen. */
  push(items: RunOutput[]): void;
  /** The run's row changed. */
  changed(status: RunStatusColumn): void;
}

/**
 * Fans stored output out to WatchRun streams from memory: one map lookup per batch, no database
 * read per line. Subscribers deduplicate by seq themselves.
 */
export function createLogHub(events: EventBus) {
  const subs = new Map<string, Set<OutputSubscriber>>();
  events.on("runOutput", (runId, items) => subs.get(runId)?.forEach((s) => s.push(items)));
  events.on("runChanged", (runId, status) => subs.get(runId)?.forEach((s) => s.changed(status)));
  return {
    subscribe(runId: string, sub: OutputSubscriber): () => void {
      let set = subs.get(runId);
      if (!set) subs.set(runId, (set = new Set()));
      set.add(sub);
      return () => {
        set.delete(sub);
        if (!set.size) subs.delete(runId);
      };
    },
    get watchers() {
      let n = 0;
      for (const s of subs.values()) n += s.size;
      return n;
    },
  };
}

export type LogHub = ReturnType<typeof createLogHub>;
