/**
 * A push-fed async iterable: the server pushes messages from anywhere (dispatcher, cancel, acks)
 * and the stream handler yields them in order. close() ends the iteration after what is queued;
 * fail() ends it with an error.
 */
export interface Outbox<T> extends AsyncIterable<T> {
  push(item: T): boolean;
  close(): void;
  fail(err: unknown): void;
  readonly closed: boolean;
  readonly size: number;
}

export function createOutbox<T>(): Outbox<T> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let error: unknown;

  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  return {
    push(item) {
      if (done) return false;
      queue.push(item);
      notify();
      return true;
    },
    close() {
      done = true;
      notify();
    },
    fail(err) {
      error ??= err;
      done = true;
      notify();
    },
    get closed() {
      return done;
    },
    get size() {
      return queue.length;
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (error !== undefined) throw error;
        if (queue.length) {
          yield queue.shift() as T;
          continue;
        }
        if (done) return;
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}
