import { Code, ConnectError } from "@connectrpc/connect";
import { backoffDelay, sleep, type BackoffOptions, DEFAULT_BACKOFF } from "./backoff";

export type StreamStatus = "connecting" | "live" | "reconnecting" | "ended" | "failed";

export interface StreamCallOptions {
  signal: AbortSignal;
  /** Pass to the call options as `onHeader`: the server accepted the stream. */
  onHeader: () => void;
}

export interface ResilientStreamOptions<T> {
  /** Opens one attempt; called again after every failure, so read resume state (last seq) here. */
  open: (call: StreamCallOptions) => AsyncIterable<T>;
  onMessage: (message: T) => void;
  signal: AbortSignal;
  onStatus?: (status: StreamStatus, error?: ConnectError) => void;
  /** Called before each reconnect, e.g. to refetch a list that missed changes meanwhile. */
  onReconnect?: () => void;
  /** Whether a stream the server closed normally should be reopened (a finished run's is not). */
  reopenAfterEnd?: () => boolean;
  backoff?: BackoffOptions;
  /**
   * Connect servers may hold back response headers until a stream's first message, so a quiet
   * stream (no run changed yet) never confirms it is open. A stream that has not failed after
   * this long is reported live; refused connections fail well before.
   */
  assumeLiveAfterMs?: number;
}

// Errors a retry cannot fix: the caller has to change something first.
const PERMANENT = new Set<Code>([
  Code.InvalidArgument,
  Code.NotFound,
  Code.PermissionDenied,
  Code.Unauthenticated,
  Code.Unimplemented,
  Code.FailedPrecondition,
]);

/**
 * Runs a server stream until `signal` aborts: reopens it after network errors with jittered
 * exponential backoff (reset once the server accepts the stream again) and reports status for
 * a "live" badge.
 */
export async function runResilientStream<T>(opts: ResilientStreamOptions<T>): Promise<void> {
  const { signal } = opts;
  let failures = 0;
  let attempt = 0;
  while (!signal.aborted) {
    if (attempt > 0) opts.onReconnect?.();
    opts.onStatus?.(attempt === 0 ? "connecting" : "reconnecting");
    attempt++;
    let live = false;
    const markLive = () => {
      if (live || signal.aborted) return;
      live = true;
      failures = 0;
      opts.onStatus?.("live");
    };
    const assume = setTimeout(markLive, opts.assumeLiveAfterMs ?? 1500);
    try {
      for await (const message of opts.open({ signal, onHeader: markLive })) {
        if (signal.aborted) return;
        markLive();
        opts.onMessage(message);
      }
      if (signal.aborted) return;
      if (!(opts.reopenAfterEnd?.() ?? true)) {
        opts.onStatus?.("ended");
        return;
      }
    } catch (err) {
      if (signal.aborted) return;
      const ce = ConnectError.from(err);
      if (PERMANENT.has(ce.code)) {
        opts.onStatus?.("failed", ce);
        return;
      }
      opts.onStatus?.("reconnecting", ce);
    } finally {
      clearTimeout(assume);
    }
    await sleep(backoffDelay(failures++, opts.backoff ?? DEFAULT_BACKOFF), signal);
  }
}
