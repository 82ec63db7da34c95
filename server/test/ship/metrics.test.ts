import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkspaceService } from "../../src/gen/flightcontrol/v1/workspace_pb";
import { DEFAULT_WORKSPACE_ID } from "../../src/storage/entities";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

let server: TestServer;
let worker: WorkerProcess;

beforeAll(async () => {
  server = await startTestServer();
  worker = startWorker(server.url, { name: "metrics-1" });
});
afterAll(async () => {
  await worker?.kill();
  await server?.cleanup();
});

type Samples = Map<string, number>;

/**
 * A strict reading of the Prometheus text format: every line is a comment or `name{labels} value`.
 * Values are Go ParseFloat syntax, where NaN and Inf are case-insensitive (prom-client prints "Nan").
 */
function parseExposition(text: string): Samples {
  const samples: Samples = new Map();
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|[+-]?(?:nan|inf))$/i;
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m = sample.exec(line);
    if (!m) throw new Error(`not Prometheus exposition format: ${line}`);
    samples.set(m[1] + (m[2] ?? ""), Number(m[3]));
  }
  return samples;
}

const scrape = async () => {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  return parseExposition(await res.text());
};

describe("/metrics", () => {
  it("parses as Prometheus exposition format and its counters move when a run executes", async () => {
    const before = await scrape();
    const runs = client(RunService, server.url, ADMIN_KEY);
    await waitFor(async () => (await scrape()).get("flightcontrol_workers_connected") === 1, { what: "worker" });
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "echo one; echo two" } });
    await waitFor(async () => (await runs.getRun({ id: run!.id })).run!.status === RunStatus.SUCCEEDED, { what: "run" });
    const after = await scrape();
    const get = (s: Samples, k: string) => s.get(k) ?? 0;
    expect(get(after, "flightcontrol_log_lines_ingested_total")).toBeGreaterThan(get(before, "flightcontrol_log_lines_ingested_total"));
    expect(get(after, 'flightcontrol_runs_finished_total{status="succeeded"}')).toBe(
      get(before, 'flightcontrol_runs_finished_total{status="succeeded"}') + 1,
    );
    expect(get(after, "flightcontrol_dispatch_latency_seconds_count")).toBeGreaterThan(0);
    expect(get(after, `flightcontrol_runs{workspace="${DEFAULT_WORKSPACE_ID}",status="succeeded"}`)).toBeGreaterThanOrEqual(1);
    expect(get(after, 'flightcontrol_worker_slots{state="total"}')).toBe(2);
    expect(get(after, 'flightcontrol_rpc_requests_total{method="flightcontrol.v1.RunService/CreateRun",code="ok"}')).toBe(1);
    expect([...after.keys()].some((k) => k.startsWith("flightcontrol_process_"))).toBe(true);
  });

  it("counts runs by workspace, so each team's queue shows, and queue_depth is the install's total", async () => {
    const { workspace } = await client(WorkspaceService, server.url, ADMIN_KEY).createWorkspace({ name: "metrics-team" });
    // No worker serves the new workspace: its runs stay queued.
    const { key } = await client(ApiKeyService, server.url, ADMIN_KEY).createApiKey({
      name: "team op",
      role: Role.OPERATOR,
      workspaceId: workspace!.id,
    });
    const inTeam = client(RunService, server.url, key);
    for (let i = 0; i < 2; i++) await inTeam.createRun({ spec: { agent: "shell", prompt: `queued ${i}` } });
    const samples = await scrape();
    expect(samples.get(`flightcontrol_runs{workspace="${workspace!.id}",status="queued"}`)).toBe(2);
    expect(samples.get(`flightcontrol_runs{workspace="${workspace!.id}",status="succeeded"}`)).toBeUndefined();
    const queuedEverywhere = [...samples].filter(([k]) => k.startsWith("flightcontrol_runs{") && k.endsWith(',status="queued"}'));
    expect(samples.get("flightcontrol_queue_depth")).toBe(queuedEverywhere.reduce((sum, [, n]) => sum + n, 0));
  });

  it("echoes a request id on RPC responses", async () => {
    const res = await fetch(`${server.url}/flightcontrol.v1.SystemService/GetInfo`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}`, "x-request-id": "abc-123" },
      body: "{}",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("abc-123");
  });
});
