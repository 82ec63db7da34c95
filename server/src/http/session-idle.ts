import type * as http2 from "node:http2";

/** Time a session that was asked to close gets to finish before it is cut. */
const CLOSE_GRACE_MS = 2000;

/**
 * Closes an HTTP/2 session once it has had no open stream for `idleMs`. Idle means no stream, not
 * no traffic: a worker session or a Watch stream that is quiet for minutes holds a stream open and
 * is never cut, while a client that only sends PINGs (or nothing after the preface) is.
 */
export function closeWhenIdle(session: http2.Http2Session, idleMs: number): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (session.closed || session.destroyed) return;
      // GOAWAY first, so a client racing a new request learns to retry it on a new connection.
      session.close();
      setTimeout(() => session.destroy(), CLOSE_GRACE_MS).unref();
    }, idleMs);
    timer.unref();
  };
  arm();
  session.on("stream", (stream: http2.ServerHttp2Stream) => {
    open++;
    clearTimeout(timer);
    stream.once("close", () => {
      if (--open === 0) arm();
    });
  });
  session.once("close", () => clearTimeout(timer));
}
