import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { readFileSync } from "node:fs";

export type NodeHandler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface FrontOptions {
  tlsCert?: string;
  tlsKey?: string;
}

export interface Front {
  server: net.Server;
  /** Every open HTTP/2 session, so shutdown can send GOAWAY to workers. */
  sessions: Set<http2.Http2Session>;
  /** Closes HTTP/1.1 keep-alive connections that carry no request right now. */
  closeIdle(): void;
}

/**
 * One listening socket for every protocol. Cleartext: peek at each connection's first bytes; the
 * HTTP/2 preface goes to the h2c server, anything else to the HTTP/1.1 server. TLS: ALPN decides.
 */
export function createFront(handler: NodeHandler, opts: FrontOptions): Front {
  const sessions = new Set<http2.Http2Session>();
  const track = (s: http2.Http2Server | http2.Http2SecureServer) =>
    s.on("session", (session) => {
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
    });

  if (opts.tlsCert && opts.tlsKey) {
    const secure = http2.createSecureServer(
      // noDelay: small frames (an Assign, a LogAck) go out at once rather than after the peer's ACK.
      { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey), allowHTTP1: true, noDelay: true },
      handler as never,
    );
    track(secure);
    return { server: secure, sessions, closeIdle: () => undefined };
  }

  const h1 = http.createServer(handler as http.RequestListener);
  const h2 = http2.createServer({}, handler as never);
  track(h2);
  h1.keepAliveTimeout = 65_000;

  // Sockets accepted here are handed to the HTTP servers by hand, so their own noDelay default never
  // applies: without it, Nagle's algorithm holds a small frame (an Assign, a LogAck) back until the
  // peer acknowledges the previous one.
  const server = net.createServer({ noDelay: true }, (socket) => {
    let seen = Buffer.alloc(0);
    // 'readable' + read() keeps the socket paused; a 'data' listener would switch it to flowing mode
    // and the HTTP/2 server would then miss bytes.
    const onReadable = () => {
      const chunk: Buffer | null = socket.read();
      if (chunk === null) return;
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const isPrefix = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (isPrefix && seen.length < PREFACE.length) return;
      socket.off("readable", onReadable);
      socket.unshift(seen);
      (isPrefix ? h2 : h1).emit("connection", socket);
    };
    socket.on("readable", onReadable);
    socket.on("error", () => socket.destroy());
  });
  server.on("close", () => {
    h1.close();
    h2.close();
  });
  return { server, sessions, closeIdle: () => h1.closeIdleConnections() };
}
