/**
 * Finding 1 of the outside test: revoking a key did not close the streams already open with it. A
 * worker whose key was revoked kept its session and its Assigns (decrypted credentials included);
 * a revoked viewer's WatchRuns/WatchWorkers kept streaming new runs' prompts. The key is checked
 * when a stream opens; the revocation itself must end every stream of the key, on this server at
 * once and on another server sharing the database within the key cache's 2 s.
 */
import { randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { tempDir, removeDir } from "../../../testkit/temp-dir";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { assignOf, handWorker, hello, type HandWorker } from "../../../testkit/worker-session";
import { startWorker } from "../../../testkit/worker-process";
import { processesWithEnv } from "../faults/executions";

const LEASE_MS = 1_500;
const dir = tempDir("fc-revoke-");
let server: TestServer;
let replica: TestServer;
const open: HandWorker[] = [];
const watches: AbortController[] = [];
const processes: Array<{ kill(): void }> = [];

beforeAll(async () => {
  server = await startTestServer({ workerLostAfterMs: LEASE_MS, heartbeatIntervalMs: 300 }, dir);
  // A second server on the same database, as a replica would be.
  replica = await startTestServer({ workerLostAfterMs: LEASE_MS, heartbeatIntervalMs: 300 }, dir);
});
afterEach(async () => {
  for (const p of processes.splice(0)) p.kill();
  for (const w of watches.splice(0)) w.abort();
  await Promise.all(open.splice(0).map((w) => w.close()));
});
afterAll(async () => {
  await replica?.stop();
  await server?.stop();
  removeDir(dir);
});

const admin = (url = server.url) => client(ApiKeyService, url, ADMIN_KEY);
const runs = () => client(RunService, server.url, ADMIN_KEY);

async function newKey(name: string, role: Role) {
  const { key, apiKey } = await admin().createApiKey({ name, role });
  return { key, id: apiKey!.id };
}

/** Reads a server stream in the background: what it received, and how it ended. */
function watch<T>(open: (signal: AbortSignal) => AsyncIterable<T>) {
  const ac = new AbortController();
  watches.push(ac);
  const received: T[] = [];
  const ended = (async () => {
    try {
      for await (const m of open(ac.signal)) received.push(m);
      return "ended cleanly";
    } catch (err) {
      return ConnectError.from(err);
    }
  })();
  let result: ConnectError | string | undefined;
  void ended.then((r) => (result = r));
  return {
    received,
    ended,
    get result() {
      return result;
    },
  };
}

function expectRevoked(end: ConnectError | string | undefined) {
  expect(end).toBeInstanceOf(ConnectError);
  const err = end as ConnectError;
  expect(Code[err.code], err.message).toBe("Unauthenticated");
  expect(err.rawMessage).toMatch(/API key was revoked/);
}

describe("revoking a key ends the streams open with it", () => {
  it("a viewer's WatchRuns, WatchWorkers and WatchRun end with Unauthenticated, and see no run created after", async () => {
    const viewer = await newKey("revoked viewer", Role.VIEWER);
    const pending = (await runs().createRun({ spec: { agent: "shell", prompt: "before", requiredLabels: { pool: "none" } } })).run!;
    const r = client(RunService, server.url, viewer.key, "grpc");
    const w = client(WorkerService, server.url, viewer.key, "connect");
    const all = watch((signal) => r.watchRuns({}, { signal }));
    const fleet = watch((signal) => w.watchWorkers({}, { signal }));
    const one = watch((signal) => r.watchRun({ runId: pending.id }, { signal }));
    // Each stream is open (its first message arrived) before the key is revoked.
    await waitFor(() => all.received.length && fleet.received.length && one.received.length, { what: "the three streams to open" });

    await admin().revokeApiKey({ id: viewer.id });
    // Pushed by the revocation: no need to wait for a cache to expire.
    await waitFor(() => all.result && fleet.result && one.result, { timeoutMs: 1_000, what: "the revoked viewer's streams to end" });
    expectRevoked(all.result);
    expectRevoked(fleet.result);
    expectRevoked(one.result);
    // …and the server forgot them (tracked for revocation while open, not beyond).
    expect(server.app.identities?.streams(viewer.id)).toBe(0);

    const seen = all.received.length;
    await runs().createRun({ spec: { agent: "shell", prompt: "secret prompt after the revocation", requiredLabels: { pool: "none" } } });
    expect(all.received.length).toBe(seen);
    // A new stream with the key is refused at the door, and the server serves everyone else.
    const again = watch((signal) => r.watchRuns({}, { signal }));
    expect(Code[((await again.ended) as ConnectError).code]).toBe("Unauthenticated");
    expect((await runs().getRun({ id: pending.id })).run?.id).toBe(pending.id);
  });

  it("a worker's session ends with Unauthenticated: nothing more is assigned to it, and its runs are requeued after the lease", async () => {
    const revoked = await newKey("revoked worker", Role.WORKER);
    const spare = await newKey("spare worker", Role.WORKER);
    const w = handWorker(server.url, { case: "hello", value: hello("revoked-worker", { labels: { pool: "rv" }, capacity: 2 }) }, revoked.key, {
      heartbeat: true,
    });
    open.push(w);
    const held = (await runs().createRun({ spec: { agent: "shell", prompt: "held", requiredLabels: { pool: "rv" }, maxAttempts: 2 } })).run!;
    const { attempt } = await assignOf(w, held.id);
    w.send({ case: "runStarted", value: { runId: held.id, attempt } });
    await waitFor(async () => (await runs().getRun({ id: held.id })).run!.status === RunStatus.RUNNING, { what: "running" });

    await admin().revokeApiKey({ id: revoked.id });
    const end = await Promise.race([w.ended, new Promise((r) => setTimeout(r, 1_000, "still open 1 s after the revocation"))]);
    expectRevoked(end as ConnectError);
    expect(server.app.registry.get(await w.workerId())).toBeUndefined();

    // A run queued now is not assigned to the revoked session (which is gone), nor can it come back.
    const later = (await runs().createRun({ spec: { agent: "shell", prompt: "later", requiredLabels: { pool: "rv" } } })).run!;
    const back = handWorker(server.url, { case: "hello", value: hello("revoked-worker", { labels: { pool: "rv" } }) }, revoked.key);
    open.push(back);
    expect(Code[(await back.ended)!.code]).toBe("Unauthenticated");
    const assigns = w.received.filter((m) => m.message.case === "assign").map((m) => (m.message.value as { runId: string }).runId);
    expect(assigns).toEqual([held.id]);

    // Its run waits out the lease (its agent may still be stopping: it was told by the stream's end),
    // then is requeued and taken by a worker with a valid key, together with the later one.
    const other = handWorker(server.url, { case: "hello", value: hello("spare-worker", { labels: { pool: "rv" }, capacity: 2 }) }, spare.key, {
      heartbeat: true,
    });
    open.push(other);
    await assignOf(other, later.id);
    const second = await assignOf(other, held.id, LEASE_MS + 5_000);
    expect(second.attempt).toBe(attempt + 1);
    const run = (await runs().getRun({ id: held.id })).run!;
    expect(run.error).toMatch(/lost/);
  });

  it("a real worker whose key is revoked stops its agents before it exits", async () => {
    const { key, id } = await newKey("revoked process", Role.WORKER);
    const tag = `revoked-${randomUUID()}`;
    const w = startWorker(server.url, { name: "revoked-process", key, agents: "goose", labels: { pool: "rp" }, env: { FAKE_AGENT_RUN_TAG: tag } });
    processes.push(w);
    const agents = () => processesWithEnv(`FAKE_AGENT_RUN_TAG=${tag}`).filter((p) => p.pid !== w.child.pid);
    const run = (await runs().createRun({ spec: { agent: "goose", prompt: "lines=300 sleep_ms=100", requiredLabels: { pool: "rp" } } })).run!;
    await waitFor(async () => (await runs().getRun({ id: run.id })).run!.lastSeq >= 3n, { what: "the agent to be running" });
    expect(agents().length).toBeGreaterThan(0);
    await admin().revokeApiKey({ id });
    expect(await w.exited, w.output()).toBe(2);
    expect(w.output()).toMatch(/API key was revoked/);
    expect(agents(), w.output()).toEqual([]);
  });

  it("a key revoked through another server sharing the database ends the streams here within about 2 s", async () => {
    const viewer = await newKey("revoked elsewhere", Role.VIEWER);
    const onReplica = watch((signal) => client(RunService, replica.url, viewer.key, "grpc").watchRuns({}, { signal }));
    await waitFor(() => onReplica.received.length, { what: "the stream on the replica to open" });
    const revokedAt = Date.now();
    await admin(server.url).revokeApiKey({ id: viewer.id });
    await waitFor(() => onReplica.result, { timeoutMs: 5_000, what: "the replica to end the revoked key's stream" });
    expectRevoked(onReplica.result);
    // The bound: the replica's sweep every 2 s (revocation-sweep.ts), plus a query.
    expect(Date.now() - revokedAt).toBeLessThan(3_500);
  });
});
