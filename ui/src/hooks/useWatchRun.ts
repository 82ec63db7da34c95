import { useEffect, useMemo, useRef, useState } from "react";
import { createClient, type ConnectError } from "@connectrpc/connect";
import { useTransport } from "@connectrpc/connect-query";
import { RunService, type Run } from "../gen/flightcontrol/v1/run_pb";
import { RunOutputStore } from "../lib/run-output-store";
import { runResilientStream, type StreamStatus } from "../lib/stream";
import { isTerminal, newerRun } from "../lib/run-status";
import { createFrameBatcher } from "../lib/frame";

export interface WatchRunState {
  run: Run | undefined;
  store: RunOutputStore;
  /** Bumps whenever `store` gained output; use it as a render/memo dependency. */
  version: number;
  status: StreamStatus;
  error: ConnectError | undefined;
}

/**
 * Follows one run: its state and all of its output. After a network error it resumes from the
 * last seq it holds, so the viewer sees no gap and no duplicate.
 */
export function useWatchRun(runId: string | undefined): WatchRunState {
  const transport = useTransport();
  // biome-ignore lint/correctness/useExhaustiveDependencies: runId is the trigger, not an input: each run gets a new, empty store.
  const store = useMemo(() => new RunOutputStore(), [runId]);
  const [run, setRun] = useState<Run | undefined>(undefined);
  const [version, setVersion] = useState(0);
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const [error, setError] = useState<ConnectError | undefined>(undefined);
  const runRef = useRef<Run | undefined>(undefined);

  useEffect(() => {
    if (!runId) return;
    runRef.current = undefined;
    setRun(undefined);
    setError(undefined);
    const client = createClient(RunService, transport);
    const ac = new AbortController();
    const batcher = createFrameBatcher(() => setVersion(store.version));
    void runResilientStream({
      signal: ac.signal,
      open: ({ signal, onHeader }) => client.watchRun({ runId, afterSeq: store.lastSeq }, { signal, onHeader }),
      onMessage: (msg) => {
        if (msg.run) {
          const next = runRef.current ? newerRun(runRef.current, msg.run) : msg.run;
          runRef.current = next;
          setRun(next);
        }
        if (msg.items.length && store.append(msg.items)) batcher.schedule();
      },
      onStatus: (s, err) => {
        setStatus(s);
        setError(s === "failed" ? err : undefined);
      },
      // The server closes the stream once the run has ended; anything else was an interruption.
      reopenAfterEnd: () => !(runRef.current && isTerminal(runRef.current.status)),
    });
    return () => {
      ac.abort();
      batcher.cancel();
    };
  }, [runId, transport, store]);

  return { run, store, version, status, error };
}
