import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { readFileSync } from "node:fs";
import type { ConnectionLimits } from "../config";
import { createConnectionCap } from "./connection-cap";
import { limitRequestTime } from "./request-deadline";
import { closeWhenIdle } from "./session-idle";

export type NodeHandler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface FrontOptions {
  tlsCert?: string;
  tlsKey?: string;
  limits: ConnectionLimits;
  /** Paths whose request side stays open by design (client and bidi streaming RPCs): no request timeout. */
  isStreamingRequest: (path: string) => boolean;
}

export interface Front {
  server: net.Server;
  /** Every open HTTP/2 session, so shutdown can send GOAWAY to workers. */
  sessions: Set<http2.Http2Session>;
  /** Closes HTTP/1.1 keep-alive connections that carry no request right now. */
  closeIdle(): void;
}

/** The HTTP/1.1 timeouts Node enforces itself, on http.Server and on Http2SecureServer with allowHTTP1. */
interface Http1Timeouts {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
}

/**
 * One listening socket for every protocol. Cleartext: peek at each connection's first bytes; the
 * HTTP/2 preface goes to the h2c server, anything else to the HTTP/1.1 server. TLS: ALPN decides.
 *
 * Every connection is accepted here, whatever the protocol, so that every path gets the same
 * bounds: a cap on connections per client address, a deadline for the first bytes (cleartext) or
 * the TLS handshake, Node's header and request timeouts for HTTP/1.1, a request deadline for HTTP/2
 * streams, and an idle timeout for both (see ConnectionLimits).
 */
export function createFront(handler: NodeHandler, opts: FrontOptions): Front {
  const { limits } = opts;
  const sessions = new Set<http2.Http2Session>();
  const settings = { maxConcurrentStreams: limits.maxStreamsPerConnection };
  const timeouts: Http1Timeouts = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    // Node checks the header and request deadlines on this tick, so it bounds how late they fire.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const serveHttp2 = (s: http2.Http2Server | http2.Http2SecureServer) => {
    s.on("session", (session) => {
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
      closeWhenIdle(session, limits.idleTimeoutMs);
    });
    limitRequestTime(s, limits.requestTimeoutMs, opts.isStreamingRequest);
  };
  const cap = createConnectionCap(limits.maxConnectionsPerAddress);

  let hand: (socket: net.Socket) => void;
  let inner: Array<net.Server>;
  let closeIdle: () => void;
  if (opts.tlsCert && opts.tlsKey) {
    const secure = http2.createSecureServer(
      // noDelay: small frames (an Assign, a LogAck) go out at once rather than after the peer's ACK.
      {
        cert: readFileSync(opts.tlsCert),
        key: readFileSync(opts.tlsKey),
        allowHTTP1: true,
        noDelay: true,
        handshakeTimeout: limits.prefaceTimeoutMs,
        settings,
      },
      handler as never,
    );
    Object.assign(secure, timeouts);
    serveHttp2(secure);
    startHttp1Deadlines(secure);
    hand = (socket) => secure.emit("connection", socket);
    inner = [secure];
    // Node has it (for allowHTTP1 connections) but @types/node does not declare it.
    closeIdle = () => (secure as unknown as http.Server).closeIdleConnections();
  } else {
    const h1 = http.createServer(
      {
        headersTimeout: timeouts.headersTimeout,
        requestTimeout: timeouts.requestTimeout,
        connectionsCheckingInterval: timeouts.connectionsCheckingInterval,
      },
      handler as http.RequestListener,
    );
    h1.keepAliveTimeout = timeouts.keepAliveTimeout;
    startHttp1Deadlines(h1);
    const h2 = http2.createServer({ settings }, handler as never);
    serveHttp2(h2);
    hand = (socket) => peekProtocol(socket, limits.prefaceTimeoutMs, (isHttp2) => (isHttp2 ? h2 : h1).emit("connection", socket));
    inner = [h1, h2];
    closeIdle = () => h1.closeIdleConnections();
  }

  // Sockets accepted here are handed to the HTTP servers by hand, so their own noDelay default never
  // applies: without it, Nagle's algorithm holds a small frame (an Assign, a LogAck) back until the
  // peer acknowledges the previous one.
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on("error", () => socket.destroy());
    if (!cap.admit(socket)) {
      socket.destroy();
      return;
    }
    hand(socket);
  });
  server.on("close", () => {
    for (const s of inner) s.close();
  });
  return { server, sessions, closeIdle };
}

/**
 * Node enforces headersTimeout and requestTimeout from a timer it starts when a server emits
 * 'listening'. These servers never listen (the front hands them their sockets), so without this the
 * deadlines never ran and a client dripping header bytes held its connection for ever.
 */
function startHttp1Deadlines(server: net.Server): void {
  server.emit("listening");
}

/**
 * Reads a cleartext connection's first bytes until they either are the HTTP/2 preface or cannot be,
 * puts them back, and calls `decide`. A connection that does not get that far within `timeoutMs`
 * (silent, or a preface that stops half way) is closed.
 */
function peekProtocol(socket: net.Socket, timeoutMs: number, decide: (isHttp2: boolean) => void): void {
  let seen = Buffer.alloc(0);
  const deadline = setTimeout(() => socket.destroy(), timeoutMs);
  deadline.unref();
  socket.once("close", () => clearTimeout(deadline));
  // 'readable' + read() keeps the socket paused; a 'data' listener would switch it to flowing mode
  // and the HTTP/2 server would then miss bytes.
  const onReadable = () => {
    const chunk: Buffer | null = socket.read();
    if (chunk === null) return;
    seen = Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, PREFACE.length);
    const isPrefix = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (isPrefix && seen.length < PREFACE.length) return;
    clearTimeout(deadline);
    socket.off("readable", onReadable);
    socket.unshift(seen);
    decide(isPrefix);
  };
  socket.on("readable", onReadable);
}
