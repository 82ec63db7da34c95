import { connect, createServer, type Server, type Socket } from "node:net";

export interface FaultProxy {
  /** What the worker dials instead of the server. */
  url: string;
  /** Destroys every open connection; with refuseMs, also resets new ones for that long (a network partition). */
  cut(refuseMs?: number): void;
  /**
   * Stops forwarding on every open connection without closing it, and resets new ones, until thaw():
   * a partition in which neither side sees its TCP connection end (half-open).
   */
  freeze(): void;
  /** Forwards again what was held back, and accepts new connections. */
  thaw(): void;
  /** Connections accepted so far (tests of the proxy itself). */
  readonly accepted: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of the server, owned by the test: the only way to break a
 * worker's connection without killing either side. Bytes are forwarded untouched (h2c passes
 * through), and a close on either side closes the other, as a real network path would.
 */
export async function startProxy(targetPort: number): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let refuseUntil = 0;
  let frozen = false;
  let accepted = 0;

  const track = (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  };

  const server: Server = createServer((client) => {
    client.on("error", () => {});
    if (frozen || Date.now() < refuseUntil) {
      client.resetAndDestroy();
      return;
    }
    accepted++;
    track(client);
    const upstream = connect(targetPort, "127.0.0.1");
    track(upstream);
    // Without nodelay, small HTTP/2 frames (acks, heartbeats) wait on Nagle's algorithm.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    // The server being down shows up as a refused upstream: the worker sees its connection drop.
    const both = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", both);
    upstream.on("error", both);
    client.once("close", both);
    upstream.once("close", both);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    cut(refuseMs = 0) {
      refuseUntil = Date.now() + refuseMs;
      for (const s of sockets) s.resetAndDestroy();
    },
    freeze() {
      frozen = true;
      for (const [a, b] of pairs) {
        // Unpiped and paused: bytes stay in the kernel's buffers, as they would behind a dead link.
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const [a, b] of pairs) {
        a.pipe(b);
        b.pipe(a);
      }
    },
    get accepted() {
      return accepted;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
