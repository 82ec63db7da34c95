import { type ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";

const endedByKey = createContextKey<ConnectError | undefined>(undefined, { description: "why the server ended this stream" });

/**
 * Ends an open stream from outside its handler (its identity's grants changed): the handler sees
 * ctx.signal abort and cleans up as it does when the client leaves, and the client gets `err`
 * (endStreamsWithTheirError below) rather than a clean end it might take for "nothing more to say".
 */
export function endStream(ctx: HandlerContext, err: ConnectError): void {
  if (ctx.values.get(endedByKey)) return;
  ctx.values.set(endedByKey, err);
  // The context connect hands the request gate is its controller (createHandlerContext), which can
  // abort; the public type does not say so.
  (ctx as HandlerContext & { abort(reason?: unknown): void }).abort(err);
}

/**
 * For streams ended by endStream: the response fails with the stream's error at once, whatever the
 * handler is waiting on (a handler that does not watch its signal still cannot send another
 * message), and also if the handler returns because its signal aborted.
 */
export const endStreamsWithTheirError: Interceptor = (next) => async (req) => {
  const res = await next(req);
  if (!res.stream) return res;
  return { ...res, message: untilEnded(res.message, req.signal, () => req.contextValues.get(endedByKey)) };
};

async function* untilEnded<T>(messages: AsyncIterable<T>, signal: AbortSignal, endedBy: () => ConnectError | undefined): AsyncGenerator<T> {
  const it = messages[Symbol.asyncIterator]();
  // One rejecter per pending read (not a promise raced against every read, whose reactions would pile up on a long stream).
  let interrupt: ((err: unknown) => void) | undefined;
  const onAbort = () => {
    const err = endedBy();
    if (err) interrupt?.(err);
  };
  signal.addEventListener("abort", onAbort);
  try {
    for (;;) {
      const ended = endedBy();
      if (ended) throw ended;
      const r = await new Promise<IteratorResult<T>>((resolve, reject) => {
        interrupt = reject;
        it.next().then(resolve, reject);
      });
      interrupt = undefined;
      if (r.done) break;
      yield r.value;
    }
    const ended = endedBy();
    if (ended) throw ended;
  } finally {
    signal.removeEventListener("abort", onAbort);
    // The handler ends on its aborted signal; its generator's cleanup runs once its pending read settles.
    void it.return?.()?.catch(() => undefined);
  }
}
