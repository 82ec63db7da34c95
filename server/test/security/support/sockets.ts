import * as net from "node:net";
import * as tls from "node:tls";

export interface DialOptions {
  /** Complete a TLS handshake first (certificate not checked), offering these ALPN protocols. */
  tls?: { alpn: string[] };
  /** Another loopback address (127.0.0.2 …) to appear as a different client. */
  localAddress?: string;
}

/** A raw connection to the server that the test writes bytes on by hand; resolves once connected (and TLS is up). */
export function dial(port: number, opts: DialOptions = {}): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const base = { host: "127.0.0.1", port, localAddress: opts.localAddress };
    const socket = opts.tls
      ? tls.connect({ ...base, ALPNProtocols: opts.tls.alpn, rejectUnauthorized: false }, () => resolve(socket))
      : net.connect(base, () => resolve(socket));
    socket.once("error", reject);
    // Read whatever the server answers (a 408, a GOAWAY) so its close is seen.
    socket.resume();
  });
}

/** Resolves with the milliseconds until the socket closes; rejects if it is still open after `withinMs`. */
export function closesWithin(socket: net.Socket, withinMs: number, what: string): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    if (socket.closed) return resolve(0);
    socket.on("error", () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${what}: the server still held the connection after ${withinMs} ms`));
    }, withinMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
}

/** Lets time pass on purpose: for tests whose point is that nothing happens during it (a stream that must not be cut). */
export const elapse = (ms: number) => new Promise((r) => setTimeout(r, ms));
