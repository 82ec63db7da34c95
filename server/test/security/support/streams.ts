import { setMaxListeners } from "node:events";
import { ConnectError } from "@connectrpc/connect";

export interface StreamFlood {
  /** Streams that delivered their first message and are held open. */
  open: number;
  /** Errors of the streams the server refused or ended, by message. */
  refused: ConnectError[];
  /** Cancels every stream still open and waits for all of them to finish. */
  close(): Promise<void>;
}

/**
 * Opens `n` server streams, at most `concurrency` of them still waiting for an answer at a time, and
 * holds each one open after its first message; resolves once every stream has either delivered a
 * first message or failed. (Node's HTTP/2 client does not hold back streams beyond the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS; a flood that ignores it is refused per connection instead.)
 */
export async function floodStreams(n: number, open: (signal: AbortSignal) => AsyncIterable<unknown>, concurrency = 8): Promise<StreamFlood> {
  const abort = new AbortController();
  // Every stream listens on this one signal.
  setMaxListeners(n + 10, abort.signal);
  let waiting = 0;
  let slotFreed: (() => void) | undefined;
  const flood: StreamFlood = { open: 0, refused: [], close: async () => undefined };
  const firsts: Array<Promise<void>> = [];
  const ends: Array<Promise<void>> = [];
  for (let i = 0; i < n; i++) {
    while (waiting >= concurrency) await new Promise<void>((r) => (slotFreed = r));
    waiting++;
    let first!: () => void;
    let answered = false;
    firsts.push(
      new Promise<void>(
        (r) =>
          (first = () => {
            if (answered) return;
            answered = true;
            waiting--;
            const w = slotFreed;
            slotFreed = undefined;
            w?.();
            r();
          }),
      ),
    );
    ends.push(
      (async () => {
        let seen = false;
        try {
          for await (const _ of open(abort.signal)) {
            if (!seen) {
              seen = true;
              flood.open++;
              first();
            }
          }
        } catch (err) {
          if (!abort.signal.aborted) flood.refused.push(ConnectError.from(err));
        } finally {
          if (seen && !abort.signal.aborted) flood.open--;
          first();
        }
      })(),
    );
  }
  await Promise.all(firsts);
  flood.close = async () => {
    abort.abort();
    await Promise.all(ends);
  };
  return flood;
}

/** Counts of each distinct error message, for an assertion that prints readably. */
export function byMessage(errors: ConnectError[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of errors) {
    const message = `${e.code}: ${e.rawMessage}`;
    counts[message] = (counts[message] ?? 0) + 1;
  }
  return counts;
}
