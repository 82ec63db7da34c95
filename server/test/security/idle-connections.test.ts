/**
 * Finding 2 of the outside test: connections that never send a request were never closed (a silent
 * socket, a partial HTTP/2 preface, an idle HTTP/2 session, partial or dripped HTTP/1.1 headers all
 * stayed open past 330 s), and one address could hold every descriptor. Each attack here, over
 * cleartext and over TLS, against short configured timeouts; and the streams that are long-lived
 * on purpose (a worker session, Watch streams) outlive every one of those timeouts.
 */
import * as http2 from "node:http2";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, it } from "vitest";
import { loadServerConfig, type ConnectionLimits } from "../../src/config";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { bearer } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { handWorker, hello } from "../../../testkit/worker-session";
import { selfSignedCert } from "../../../testkit/self-signed-cert";
import { closesWithin, dial, elapse } from "./support/sockets";

const LIMITS: ConnectionLimits = {
  ...loadServerConfig({}).limits,
  prefaceTimeoutMs: 300,
  headersTimeoutMs: 400,
  requestTimeoutMs: 800,
  idleTimeoutMs: 600,
};
/** How late a close may come on two busy cores. */
const SLACK = 2000;

const dir = mkdtempSync(join(tmpdir(), "fc-idle-"));
const { cert, key } = selfSignedCert(dir);
const servers: Record<"cleartext" | "tls", TestServer | undefined> = { cleartext: undefined, tls: undefined };

beforeAll(async () => {
  servers.cleartext = await startTestServer({ limits: LIMITS, heartbeatIntervalMs: 200 });
  servers.tls = await startTestServer({ limits: LIMITS, heartbeatIntervalMs: 200, tlsCert: cert, tlsKey: key });
});
afterAll(async () => {
  await servers.cleartext?.cleanup();
  await servers.tls?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

// Each test mostly waits for a timeout to fire on a connection of its own: they wait together (both
// modes and the per-address cap at once), 15 -> 5 s of tests. Every bound is a time the test
// measures on its own connection, so they hold however many run beside them.
describe.concurrent.each(["cleartext", "tls"] as const)("over %s", (mode) => {
  const server = () => servers[mode]!;
  const tls = mode === "tls";
  /** A connection already speaking HTTP/1.1 (TLS: handshake done, ALPN http/1.1). */
  const h1 = () => dial(server().port, tls ? { tls: { alpn: ["http/1.1"] } } : {});
  const h2connect = () => http2.connect(server().url, tls ? { rejectUnauthorized: false } : {});

  it("closes a connection that sends nothing", async () => {
    const socket = await dial(server().port);
    await closesWithin(socket, LIMITS.prefaceTimeoutMs + SLACK, "silent socket");
  });

  it("closes a connection whose HTTP/2 preface stops half way", async () => {
    const socket = await dial(server().port, tls ? { tls: { alpn: ["h2"] } } : {});
    socket.write("PRI * HTTP/2.0\r\n");
    await closesWithin(socket, Math.max(LIMITS.prefaceTimeoutMs, LIMITS.idleTimeoutMs) + SLACK, "partial preface");
  });

  it("closes an HTTP/2 session that opens no stream, with a GOAWAY first", async ({ expect }) => {
    const session = h2connect();
    let goaway = false;
    session.on("goaway", () => (goaway = true));
    session.on("error", () => undefined);
    await new Promise<void>((resolve) => session.once("connect", () => resolve()));
    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("idle HTTP/2 session still open")), LIMITS.idleTimeoutMs + SLACK);
      session.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(LIMITS.idleTimeoutMs - 100);
    expect(goaway).toBe(true);
  });

  it("closes a connection whose HTTP/1.1 headers never end", async () => {
    const socket = await h1();
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    await closesWithin(socket, LIMITS.headersTimeoutMs + SLACK, "partial headers");
  });

  it("closes a connection that drips header bytes, although bytes keep coming", async () => {
    const socket = await h1();
    socket.write("GET /healthz HTTP/1.1\r\n");
    const drip = setInterval(() => socket.writable && socket.write("X-Slow: y\r\n"), 100);
    try {
      await closesWithin(socket, LIMITS.headersTimeoutMs + SLACK, "dripped headers");
    } finally {
      clearInterval(drip);
    }
  });

  it("closes an HTTP/1.1 keep-alive connection that stays idle after its request", async ({ expect }) => {
    const socket = await h1();
    let answer = "";
    socket.on("data", (d: Buffer) => (answer += d.toString()));
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    await closesWithin(socket, LIMITS.idleTimeoutMs + SLACK, "idle keep-alive");
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
  });

  it("resets an HTTP/2 request whose body never ends", async ({ expect }) => {
    const session = h2connect();
    session.on("error", () => undefined);
    try {
      const stream = session.request({
        ":method": "POST",
        ":path": "/flightcontrol.v1.SystemService/GetInfo",
        "content-type": "application/grpc",
        authorization: `Bearer ${ADMIN_KEY}`,
      });
      stream.on("error", () => undefined);
      stream.resume();
      stream.write(Buffer.from([0, 0, 0, 0, 10])); // an envelope that promises 10 bytes that never come
      const t0 = Date.now();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("unfinished request still open")), LIMITS.requestTimeoutMs + SLACK);
        stream.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(LIMITS.requestTimeoutMs - 100);
    } finally {
      session.destroy();
    }
  });

  it("keeps a quiet worker session and quiet Watch streams open past every timeout", async ({ expect }) => {
    const nodeOptions = tls ? { rejectUnauthorized: false } : {};
    const grpc = createClient(RunService, createGrpcTransport({ baseUrl: server().url, interceptors: [bearer(ADMIN_KEY)], nodeOptions }));
    const browserLike = createClient(
      RunService,
      createConnectTransport({ baseUrl: server().url, httpVersion: "1.1", interceptors: [bearer(ADMIN_KEY)], nodeOptions }),
    );
    // Queued for a label no worker has: nothing happens on it until it is cancelled.
    const { run } = await grpc.createRun({ spec: { agent: "shell", prompt: "echo never", requiredLabels: { pool: "nowhere" } } });
    const watch = async (c: typeof grpc) => {
      const statuses: RunStatus[] = [];
      for await (const m of c.watchRun({ runId: run!.id })) if (m.run) statuses.push(m.run.status);
      return statuses;
    };
    const watches = [watch(grpc), watch(browserLike)];
    // The hand worker's transport takes no TLS options: let it accept the self-signed certificate.
    if (tls) process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    const worker = handWorker(server().url, { case: "hello", value: hello(`quiet-${mode}`) }, undefined, { heartbeat: true });
    try {
      await worker.workerId();
      // Longer than the preface, header, request and idle timeouts together.
      await elapse(LIMITS.prefaceTimeoutMs + LIMITS.requestTimeoutMs + 2 * LIMITS.idleTimeoutMs);
      const ended = await Promise.race([worker.ended.then(() => true), Promise.resolve(false)]);
      expect(ended).toBe(false);
      await grpc.cancelRun({ id: run!.id, reason: "done watching" });
      for (const statuses of await Promise.all(watches)) expect(statuses.at(-1)).toBe(RunStatus.CANCELLED);
    } finally {
      await worker.close();
      if (tls) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    }
  });
});

describe.concurrent("connections per client address", () => {
  let server: TestServer;
  const CAP = 20;
  beforeAll(async () => {
    server = await startTestServer({ limits: { ...loadServerConfig({}).limits, maxConnectionsPerAddress: CAP } });
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  it(`one address gets ${CAP} connections; the next is closed at once, and other addresses are still served`, async ({ expect }) => {
    const held = await Promise.all(Array.from({ length: CAP }, () => dial(server.port, { localAddress: "127.0.0.2" })));
    try {
      const extra = await dial(server.port, { localAddress: "127.0.0.2" });
      // The timeouts here are the defaults (seconds): a close this fast is the cap.
      await closesWithin(extra, 1000, "connection over the per-address cap");
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      // A freed slot can be used again.
      held.pop()!.destroy();
      await expect
        .poll(
          async () => {
            const again = await dial(server.port, { localAddress: "127.0.0.2" });
            again.write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let text = "";
            again.on("data", (d: Buffer) => (text += d.toString()));
            await closesWithin(again, 5000, "request on a freed slot").catch(() => undefined);
            return text;
          },
          { timeout: 5000 },
        )
        .toMatch(/^HTTP\/1\.1 200/);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});
