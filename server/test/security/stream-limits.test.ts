/**
 * Finding 3 of the outside test: long-lived streams were unbounded, even those that need no key.
 * 30,000 anonymous grpc.health.v1.Health/Watch streams took the server from 151 MB to 1.65 GB, and
 * 20,000 viewer WatchRun streams added ~545 MB. Against the server as its own process (so its
 * memory can be read from /proc): floods of both are refused past the configured limits with
 * ResourceExhausted naming the setting to raise, and the server's memory stays bounded.
 */
import * as http2 from "node:http2";
import * as net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { Health } from "../../src/gen/grpc/health/v1/health_pb";
import { bearer } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { freePort } from "../../../testkit/free-port";
import { startServerProcess, type ServerProcess } from "../../../testkit/server-process";
import { rssMiB } from "./support/load";
import { byMessage, floodStreams } from "./support/streams";

const LIMITS = { perConnection: 100, perKey: 50, perAddress: 80, anonymousPerAddress: 16, anonymous: 40 };
/** Streams each flood tries to open: enough that, unbounded, they would cost well over the RSS bound below. */
const FLOOD = 3000;
/**
 * Growth of the server's RSS a flood may cause. The allowed streams cost under 5 MiB, but serving
 * thousands of refused requests leaves garbage that moves RSS by up to ~95 MiB from one flood to the
 * next (seen in full suite runs); 3,000 open streams would cost 130–170 MiB (44–57 KiB each), and
 * the refusal counts asserted beside this catch an unbounded server whatever its RSS does.
 */
const RSS_BOUND_MIB = 120;

/** Streams a flood keeps waiting for an answer; with the held ones, under the per-connection limit. */
const CONCURRENCY = 32;

const dataDir = mkdtempSync(join(tmpdir(), "fc-stream-limits-"));
let server: ServerProcess;
let viewerKey: string;
let operatorKey: string;

/**
 * A gRPC transport (one HTTP/2 connection) from a given loopback address. Each flood first makes
 * one unary call on it: streams opened before the server's SETTINGS arrive are not held back by
 * the client, and past the per-connection limit the server refuses them (REFUSED_STREAM) and, after
 * enough of them, drops the connection as hostile. That is the per-connection limit working; these
 * floods test the limits behind it.
 */
const grpc = (key?: string, localAddress = "127.0.0.1") =>
  createGrpcTransport({
    baseUrl: server.url,
    interceptors: key ? [bearer(key)] : [],
    nodeOptions: { createConnection: (authority: URL) => net.connect({ host: authority.hostname, port: Number(authority.port), localAddress }) },
  });
const rss = () => rssMiB(server.child.pid!);

/**
 * Serving any few hundred requests grows a fresh process's heap by tens of MiB, retained or not;
 * a short flood of the same kind first, so the measured growth is what the flood holds on to.
 */
async function warmUp(open: (signal: AbortSignal) => AsyncIterable<unknown>): Promise<void> {
  const flood = await floodStreams(FLOOD / 4, open, CONCURRENCY);
  await flood.close();
}

beforeAll(async () => {
  server = await startServerProcess(dataDir, await freePort(), {
    ORCH_MAX_STREAMS_PER_CONNECTION: String(LIMITS.perConnection),
    ORCH_MAX_STREAMS_PER_KEY: String(LIMITS.perKey),
    ORCH_MAX_STREAMS_PER_ADDRESS: String(LIMITS.perAddress),
    ORCH_MAX_ANONYMOUS_STREAMS_PER_ADDRESS: String(LIMITS.anonymousPerAddress),
    ORCH_MAX_ANONYMOUS_STREAMS: String(LIMITS.anonymous),
  });
  const keys = createClient(ApiKeyService, grpc(ADMIN_KEY));
  viewerKey = (await keys.createApiKey({ name: "flooding viewer", role: Role.VIEWER })).key;
  operatorKey = (await keys.createApiKey({ name: "second key", role: Role.OPERATOR })).key;
}, 60_000);
afterAll(async () => {
  await server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("stream limits", () => {
  it("advertises the per-connection stream limit in its HTTP/2 SETTINGS", async () => {
    const session = http2.connect(server.url);
    try {
      const settings = await new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
      expect(settings.maxConcurrentStreams).toBe(LIMITS.perConnection);
    } finally {
      session.destroy();
    }
  });

  it(`${FLOOD} anonymous Health/Watch streams: ${LIMITS.anonymousPerAddress} per address, ${LIMITS.anonymous} in all, memory bounded`, async () => {
    const watch = async (address: string) => {
      const health = createClient(Health, grpc(undefined, address));
      await health.check({ service: "" }); // connected, with the server's SETTINGS known (see grpc())
      return (signal: AbortSignal) => health.watch({ service: "" }, { signal });
    };
    await warmUp(await watch("127.0.0.7"));
    const before = rss();
    const first = await floodStreams(FLOOD, await watch("127.0.0.2"), CONCURRENCY);
    const after = rss();
    const report = `RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB; refusals ${JSON.stringify(byMessage(first.refused))}`;
    console.info(`anonymous flood: ${report}`);
    try {
      expect(first.open, report).toBe(LIMITS.anonymousPerAddress);
      expect(first.refused.length, report).toBe(FLOOD - LIMITS.anonymousPerAddress);
      expect(
        first.refused.every(
          (e) =>
            e.code === Code.ResourceExhausted && /ORCH_MAX_ANONYMOUS_STREAMS_PER_ADDRESS/.test(e.rawMessage) && /127\.0\.0\.2/.test(e.rawMessage),
        ),
        report,
      ).toBe(true);
      expect(after - before, report).toBeLessThan(RSS_BOUND_MIB);

      // More addresses fill the server-wide keyless budget; then even a new address is refused.
      const others = await Promise.all(
        ["127.0.0.3", "127.0.0.4", "127.0.0.5"].map(async (a) => floodStreams(LIMITS.anonymousPerAddress, await watch(a))),
      );
      expect(first.open + others.reduce((n, f) => n + f.open, 0)).toBe(LIMITS.anonymous);
      const refusedAll = others.flatMap((f) => f.refused);
      expect(refusedAll.length).toBe(3 * LIMITS.anonymousPerAddress - (LIMITS.anonymous - LIMITS.anonymousPerAddress));
      expect(refusedAll.every((e) => /ORCH_MAX_ANONYMOUS_STREAMS\b/.test(e.rawMessage) && /send an API key/.test(e.rawMessage))).toBe(true);
      await Promise.all(others.map((f) => f.close()));
    } finally {
      await first.close();
    }
    // The limit counts open streams: once they are closed, the address may open them again.
    const again = await floodStreams(LIMITS.anonymousPerAddress, await watch("127.0.0.2"));
    expect(again.open).toBe(LIMITS.anonymousPerAddress);
    await again.close();
  });

  it(`${FLOOD} viewer WatchRun streams: ${LIMITS.perKey} per key, ${LIMITS.perAddress} per address, memory bounded`, async () => {
    const { run } = await createClient(RunService, grpc(ADMIN_KEY)).createRun({
      spec: { agent: "shell", prompt: "echo never", requiredLabels: { pool: "nowhere" } },
    });
    const watch = async (key: string) => {
      const runs = createClient(RunService, grpc(key, "127.0.0.6"));
      await runs.getRun({ id: run!.id }); // connected, with the server's SETTINGS known
      return (signal: AbortSignal) => runs.watchRun({ runId: run!.id }, { signal });
    };
    await warmUp(await watch(viewerKey));
    const before = rss();
    const viewer = await floodStreams(FLOOD, await watch(viewerKey), CONCURRENCY);
    const after = rss();
    const report = `RSS ${before.toFixed(0)} -> ${after.toFixed(0)} MiB; refusals ${JSON.stringify(byMessage(viewer.refused))}`;
    console.info(`viewer flood: ${report}`);
    try {
      expect(viewer.open, report).toBe(LIMITS.perKey);
      expect(
        viewer.refused.every(
          (e) => e.code === Code.ResourceExhausted && /ORCH_MAX_STREAMS_PER_KEY/.test(e.rawMessage) && /flooding viewer/.test(e.rawMessage),
        ),
        report,
      ).toBe(true);
      expect(after - before, report).toBeLessThan(RSS_BOUND_MIB);

      // Another key from the same address gets what is left of the address's budget.
      const second = await floodStreams(LIMITS.perKey, await watch(operatorKey));
      expect(second.open).toBe(LIMITS.perAddress - LIMITS.perKey);
      expect(second.refused.every((e) => e.code === Code.ResourceExhausted && /ORCH_MAX_STREAMS_PER_ADDRESS/.test(e.rawMessage))).toBe(true);
      await second.close();
    } finally {
      await viewer.close();
    }
    // Closed streams are released, and the same key may watch again.
    await waitFor(
      async () => {
        const again = await floodStreams(1, await watch(viewerKey));
        await again.close();
        return again.open === 1;
      },
      { what: "a released slot" },
    );
  });
});
