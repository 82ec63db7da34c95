/**
 * Soak: every limit filled at once — all the keyless streams the server allows (from several
 * addresses), all the WatchRun streams one address may hold (over two keys), and all the idle
 * connections one address may hold (re-dialled as the server closes them) — and meanwhile a normal
 * client is still served within its targets:
 *   - /healthz: p99 ≤ 100 ms over 100 sequential requests (in one of up to three windows: other
 *     test files share the two cores, a blocked event loop would spoil every window);
 *   - a shell-agent run on a real worker: CreateRun → SUCCEEDED within 5 s;
 *   - the server's RSS grows by less than 100 MiB while it holds all of it.
 */
import * as net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { Health } from "../../src/gen/grpc/health/v1/health_pb";
import { bearer } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { freePort } from "../../../testkit/free-port";
import { startServerProcess, type ServerProcess } from "../../../testkit/server-process";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";
import { percentile, rssMiB } from "./support/load";
import { dial } from "./support/sockets";
import { floodStreams, type StreamFlood } from "./support/streams";

const LIMITS = { connectionsPerAddress: 100, perKey: 200, perAddress: 300, anonymousPerAddress: 16, anonymous: 48 };
const ANONYMOUS_FROM = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];
const WATCHERS_FROM = "127.0.0.5";
const IDLE_FROM = "127.0.0.6";

const dataDir = mkdtempSync(join(tmpdir(), "fc-soak-"));
let server: ServerProcess;
let worker: WorkerProcess;
const floods: StreamFlood[] = [];
let stopIdle = false;
const idle = new Set<net.Socket>();

const transport = (key: string | undefined, localAddress: string): Transport =>
  createGrpcTransport({
    baseUrl: server.url,
    interceptors: key ? [bearer(key)] : [],
    nodeOptions: { createConnection: (authority: URL) => net.connect({ host: authority.hostname, port: Number(authority.port), localAddress }) },
  });

/** Keeps `LIMITS.connectionsPerAddress` silent connections open from one address, re-dialling each one the server closes. */
async function holdIdleConnections(): Promise<void> {
  const keep = async (): Promise<void> => {
    if (stopIdle) return;
    const socket = await dial(Number(new URL(server.url).port), { localAddress: IDLE_FROM }).catch(() => undefined);
    if (!socket) return;
    idle.add(socket);
    socket.on("error", () => undefined);
    socket.once("close", () => {
      idle.delete(socket);
      void keep();
    });
  };
  await Promise.all(Array.from({ length: LIMITS.connectionsPerAddress }, keep));
}

beforeAll(async () => {
  server = await startServerProcess(dataDir, await freePort(), {
    ORCH_MAX_CONNECTIONS_PER_ADDRESS: String(LIMITS.connectionsPerAddress),
    ORCH_MAX_STREAMS_PER_KEY: String(LIMITS.perKey),
    ORCH_MAX_STREAMS_PER_ADDRESS: String(LIMITS.perAddress),
    ORCH_MAX_ANONYMOUS_STREAMS_PER_ADDRESS: String(LIMITS.anonymousPerAddress),
    ORCH_MAX_ANONYMOUS_STREAMS: String(LIMITS.anonymous),
    // Silent connections are cut after a second, so the attacker keeps re-dialling.
    ORCH_PREFACE_TIMEOUT_MS: "1000",
  });
  worker = startWorker(server.url, { name: "soak-worker", capacity: 1, agents: "shell" });
}, 60_000);
afterAll(async () => {
  stopIdle = true;
  for (const s of idle) s.destroy();
  await Promise.all(floods.map((f) => f.close()));
  await worker?.kill();
  await server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("soak: every stream and connection limit filled", () => {
  it("still serves /healthz and a real run within their targets", async () => {
    const admin = transport(ADMIN_KEY, "127.0.0.1");
    const keys = createClient(ApiKeyService, admin);
    const runs = createClient(RunService, admin);
    const viewerKey = (await keys.createApiKey({ name: "soak viewer", role: Role.VIEWER })).key;
    const operatorKey = (await keys.createApiKey({ name: "soak operator", role: Role.OPERATOR })).key;
    const { run: quiet } = await runs.createRun({ spec: { agent: "shell", prompt: "echo never", requiredLabels: { pool: "nowhere" } } });
    const baseline = rssMiB(server.child.pid!);

    // Every keyless stream the server allows, from three addresses.
    for (const address of ANONYMOUS_FROM) {
      const health = createClient(Health, transport(undefined, address));
      await health.check({ service: "" });
      floods.push(await floodStreams(LIMITS.anonymousPerAddress, (signal) => health.watch({ service: "" }, { signal })));
    }
    // Every stream one address may hold: one key at its limit, a second key for the rest.
    for (const [key, n] of [
      [viewerKey, LIMITS.perKey],
      [operatorKey, LIMITS.perAddress - LIMITS.perKey],
    ] as const) {
      const watcher = createClient(RunService, transport(key, WATCHERS_FROM));
      await watcher.getRun({ id: quiet!.id });
      floods.push(await floodStreams(n, (signal) => watcher.watchRun({ runId: quiet!.id }, { signal })));
    }
    expect(floods.map((f) => f.open)).toEqual([
      ...ANONYMOUS_FROM.map(() => LIMITS.anonymousPerAddress),
      LIMITS.perKey,
      LIMITS.perAddress - LIMITS.perKey,
    ]);
    expect(floods.flatMap((f) => f.refused)).toEqual([]);
    await holdIdleConnections();
    expect(idle.size).toBe(LIMITS.connectionsPerAddress);
    // The limits really are full: one more of each is refused.
    const extraHealth = createClient(Health, transport(undefined, "127.0.0.7"));
    await expect(async () => {
      for await (const _ of extraHealth.watch({ service: "" })) break;
    }).rejects.toMatchObject({ code: Code.ResourceExhausted });

    // A normal client meanwhile: /healthz …
    const windows: string[] = [];
    let healthzOk = false;
    for (let w = 0; w < 3 && !healthzOk; w++) {
      const latencies: number[] = [];
      for (let i = 0; i < 100; i++) {
        const t0 = performance.now();
        const res = await fetch(`${server.url}/healthz`);
        expect(res.status).toBe(200);
        await res.text();
        latencies.push(performance.now() - t0);
      }
      const p99 = percentile(latencies, 99);
      windows.push(`p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
      healthzOk = p99 <= 100;
    }
    // … and a shell run on the real worker.
    await waitFor(async () => (await createClient(WorkerService, admin).listWorkers({})).workers.length === 1, { what: "the worker to connect" });
    const t0 = performance.now();
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "echo soak" } });
    await waitFor(async () => (await runs.getRun({ id: run!.id })).run!.status === RunStatus.SUCCEEDED, {
      what: "the run to succeed",
      timeoutMs: 10_000,
    });
    const runMs = performance.now() - t0;
    const grown = rssMiB(server.child.pid!) - baseline;

    const report = `/healthz windows: ${windows.join(" | ")}; run ${runMs.toFixed(0)} ms; RSS +${grown.toFixed(0)} MiB; idle connections held ${idle.size}`;
    console.info(report);
    expect(healthzOk, report).toBe(true);
    expect(runMs, report).toBeLessThan(5000);
    expect(grown, report).toBeLessThan(100);
  });
});
