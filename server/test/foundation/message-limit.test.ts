import { Code, createClient } from "@connectrpc/connect";
import { compressionGzip, createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { bearer, client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { PROTOCOLS, dbSnapshot, refusedUnchanged, spec } from "./helpers";

const LIMIT = 16 * 1024;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ maxMessageBytes: LIMIT });
});
afterAll(async () => {
  await server?.cleanup();
});

describe.each(PROTOCOLS)("a %s request larger than maxMessageBytes", (protocol) => {
  const jobs = () => client(JobService, server.url, ADMIN_KEY, protocol);

  it("is refused with ResourceExhausted and stores nothing", async () => {
    // Valid by the contract (prompts may be 128 KiB), only too big for this server.
    await refusedUnchanged(
      server,
      () => jobs().createJob({ name: `big ${protocol}`, spec: spec({ prompt: "p".repeat(LIMIT + 1) }) }),
      Code.ResourceExhausted,
    );
    await refusedUnchanged(
      server,
      () => client(RunService, server.url, ADMIN_KEY, protocol).createRun({ spec: spec({ prompt: "p".repeat(4 * LIMIT) }) }),
      Code.ResourceExhausted,
    );
  });

  it("leaves the connection usable, and a request under the limit goes through", async () => {
    await refusedUnchanged(
      server,
      () => jobs().createJob({ name: `big again ${protocol}`, spec: spec({ prompt: "p".repeat(2 * LIMIT) }) }),
      Code.ResourceExhausted,
    );
    const { job } = await jobs().createJob({ name: `small ${protocol}`, spec: spec({ prompt: "p".repeat(LIMIT - 1024) }) });
    expect(job!.spec!.prompt).toHaveLength(LIMIT - 1024);
  });
});

describe("a gzip-compressed request that is small on the wire but large once decompressed", () => {
  it.each(PROTOCOLS)("is refused with ResourceExhausted over %s", async (protocol) => {
    const transport =
      protocol === "grpc"
        ? createGrpcTransport({ baseUrl: server.url, interceptors: [bearer(ADMIN_KEY)], sendCompression: compressionGzip, compressMinBytes: 1 })
        : createConnectTransport({
            baseUrl: server.url,
            httpVersion: "1.1",
            interceptors: [bearer(ADMIN_KEY)],
            sendCompression: compressionGzip,
            compressMinBytes: 1,
          });
    const jobs = createClient(JobService, transport);
    await refusedUnchanged(
      server,
      () => jobs.createJob({ name: `bomb ${protocol}`, spec: spec({ prompt: "p".repeat(64 * LIMIT) }) }),
      Code.ResourceExhausted,
    );
    // Compression itself is fine under the limit.
    expect((await jobs.createJob({ name: `gzip ok ${protocol}`, spec: spec({ prompt: "p".repeat(LIMIT / 2) }) })).job!.name).toBe(
      `gzip ok ${protocol}`,
    );
  });
});

describe("plain HTTP JSON larger than maxMessageBytes", () => {
  it("gets HTTP 429 resource_exhausted and stores nothing", async () => {
    const before = await dbSnapshot(server);
    const res = await fetch(`${server.url}/flightcontrol.v1.JobService/CreateJob`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ name: "big json", spec: { agent: "shell", prompt: "p".repeat(LIMIT + 1) } }),
    });
    expect(res.status).toBe(429);
    expect(((await res.json()) as { code: string }).code).toBe("resource_exhausted");
    expect(await dbSnapshot(server)).toEqual(before);
  });
});
