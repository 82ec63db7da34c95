import { useEffect, useRef, useState } from "react";
import { createClient } from "@connectrpc/connect";
import { useTransport } from "@connectrpc/connect-query";
import { RunService, type Run } from "../gen/flightcontrol/v1/run_pb";
import { runResilientStream, type StreamStatus } from "../lib/stream";

export interface WatchRunsOptions {
  jobId?: string;
  onRun: (run: Run) => void;
  /** After a reconnect some changes were missed: refetch whatever list this page shows. */
  onReconnect?: () => void;
  enabled?: boolean;
}

/** Streams every run state change (optionally of one job) to `onRun`. */
export function useWatchRuns({ jobId, onRun, onReconnect, enabled = true }: WatchRunsOptions): StreamStatus {
  const transport = useTransport();
  const [status, setStatus] = useState<StreamStatus>("connecting");
  // Callbacks change every render; the stream must not restart because of that.
  const handlers = useRef({ onRun, onReconnect });
  handlers.current = { onRun, onReconnect };

  useEffect(() => {
    if (!enabled) return;
    const client = createClient(RunService, transport);
    const ac = new AbortController();
    void runResilientStream({
      signal: ac.signal,
      open: ({ signal, onHeader }) => client.watchRuns({ jobId: jobId ?? "" }, { signal, onHeader }),
      onMessage: (msg) => {
        if (msg.run) handlers.current.onRun(msg.run);
      },
      onStatus: (s) => setStatus(s),
      onReconnect: () => handlers.current.onReconnect?.(),
    });
    return () => ac.abort();
  }, [jobId, transport, enabled]);

  return status;
}
