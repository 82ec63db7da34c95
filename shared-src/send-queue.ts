/**
 * The messages one side of a bidi stream has yet to send, as the stream's request (or response)
 * iterable: producers anywhere (the dispatcher, a cancel, an ack, a heartbeat timer) push without
 * waiting, the stream handler yields in push order.
 *
 * Not connect-es's createWritableIterable (@connectrpc/connect/protocol): its write() is async and
 * settles only once the item is read, rejecting after close, so a fire-and-forget push would need
 * a catch on every call; it has no size to spot a slow consumer, and no way for the producer to end
 * the iteration with an error. Those are what the callers here need.
 */
export interface SendQueue<T> extends AsyncIterable<T> {
  /** Queues `item`; false (and dropped) once the queue is closed or failed. */
  push(item: T): boolean;
  /** Ends the iteration after what is already queued. */
  close(): void;
  /** Ends the iteration with `err` at once, dropping what is queued; the first error wins. */
  fail(err: unknown): void;
  readonly closed: boolean;
  /** Items pushed and not yet taken: how far the consumer is behind. */
  readonly size: number;
}

export function createSendQueue<T>(): SendQueue<T> {
  const items: T[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let failed = false;
  let error: unknown;

  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  return {
    push(item) {
      if (done) return false;
      items.push(item);
      notify();
      return true;
    },
    close() {
      done = true;
      notify();
    },
    fail(err) {
      if (!failed) {
        failed = true;
        error = err;
      }
      done = true;
      notify();
    },
    get closed() {
      return done;
    },
    get size() {
      return items.length;
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (failed) throw error;
        if (items.length) {
          yield items.shift() as T;
          continue;
        }
        if (done) return;
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}
