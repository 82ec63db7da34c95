import { useEffect, useState } from "react";
import { createClient } from "@connectrpc/connect";
import { useTransport } from "@connectrpc/connect-query";
import { WorkerService, type Worker } from "../gen/flightcontrol/v1/worker_pb";
import { runResilientStream, type StreamStatus } from "../lib/stream";
import { createFrameBatcher } from "../lib/frame";

export interface WatchWorkersOptions {
  /** Called for every change, e.g. to refresh stats. */
  onChange?: (worker: Worker) => void;
  enabled?: boolean;
}

/**
 * The fleet, kept current by WatchWorkers. Each (re)connect takes a ListWorkers snapshot and
 * holds back stream updates until it arrives, so an update is never overwritten by an older
 * snapshot.
 */
export function useWatchWorkers({ onChange, enabled = true }: WatchWorkersOptions = {}): {
  workers: Worker[];
  status: StreamStatus;
  loaded: boolean;
} {
  const transport = useTransport();
  const [workers, setWorkers] = useState<Worker[]>([]);
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const [loaded, setLoaded] = useState(false);
  const [handlers] = useState(() => ({ onChange }));
  handlers.onChange = onChange;

  useEffect(() => {
    if (!enabled) return;
    const client = createClient(WorkerService, transport);
    const ac = new AbortController();
    const byId = new Map<string, Worker>();
    const batcher = createFrameBatcher(() => setWorkers([...byId.values()]));
    let generation = 0;
    let held: Worker[] | null = null;

    const takeSnapshot = () => {
      const gen = ++generation;
      held = [];
      client
        .listWorkers({ includeOffline: true }, { signal: ac.signal })
        .then((res) => {
          if (gen !== generation) return;
          byId.clear();
          for (const w of res.workers) byId.set(w.id, w);
        })
        .catch(() => {
          // The stream's own retry reports connectivity; keep what we have.
        })
        .finally(() => {
          if (gen !== generation || !held) return;
          for (const w of held) byId.set(w.id, w);
          held = null;
          setLoaded(true);
          batcher.schedule();
        });
    };

    void runResilientStream({
      signal: ac.signal,
      open: ({ signal, onHeader }) => {
        const stream = client.watchWorkers({}, { signal, onHeader });
        takeSnapshot();
        return stream;
      },
      onMessage: (msg) => {
        const w = msg.worker;
        if (!w) return;
        handlers.onChange?.(w);
        if (held) held.push(w);
        else {
          byId.set(w.id, w);
          batcher.schedule();
        }
      },
      onStatus: (s) => setStatus(s),
    });
    return () => {
      ac.abort();
      batcher.cancel();
    };
  }, [transport, enabled, handlers]);

  return { workers, status, loaded };
}
