import { connect, createServer, type Server, type Socket } from "node:net";

export interface FaultProxy {
  /** What the worker dials instead of the server. */
  url: string;
  /** Destroys every open connection; with refuseMs, also resets new ones for that long (a network partition). */
  cut(refuseMs?: number): void;
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
  let refuseUntil = 0;
  let accepted = 0;

  const track = (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  };

  const server: Server = createServer((client) => {
    client.on("error", () => {});
    if (Date.now() < refuseUntil) {
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
    // The server being down shows up as a refused upstream: the worker sees its connection drop.
    const both = () => {
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
    get accepted() {
      return accepted;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
