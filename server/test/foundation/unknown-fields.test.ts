/**
 * The JSON API refuses what it does not understand: a JSON key no field has is InvalidArgument naming
 * the key's path and what to do, on every RPC, in Connect JSON and gRPC-Web JSON alike; binary
 * protobuf keeps protobuf's rule (unknown fields are skipped, so older servers accept newer clients).
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateRunRequestSchema, ListRunsRequestSchema } from "../../src/gen/flightcontrol/v1/run_pb";
import { connectStream, connectUnary, envelope, unenvelope } from "../security/support/wire";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

/** gRPC-Web over HTTP/1.1 (what a browser sends): the status and message from the trailer frame. */
async function grpcWeb(path: string, body: Uint8Array, format: "json" | "proto"): Promise<{ status: number; message: string; frames: number }> {
  const res = await fetch(`${server.url}/${path}`, {
    method: "POST",
    headers: { "content-type": `application/grpc-web+${format}`, "x-grpc-web": "1", authorization: `Bearer ${ADMIN_KEY}` },
    body: envelope(body),
  });
  const { frames } = unenvelope(Buffer.from(await res.arrayBuffer()));
  const trailer = frames.find((f) => f.flags & 0x80)?.data.toString("utf8") ?? "";
  const status = /grpc-status:\s*(\d+)/i.exec(trailer)?.[1] ?? res.headers.get("grpc-status");
  const message = decodeURIComponent(/grpc-message:\s*([^\r\n]*)/i.exec(trailer)?.[1] ?? res.headers.get("grpc-message") ?? "");
  return { status: Number(status), message, frames: frames.filter((f) => !(f.flags & 0x80)).length };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const INVALID_ARGUMENT = 3;

/** Requests with one misspelt or made-up key, on several services, and what the error must name. */
const CASES: Array<{ rpc: string; body: unknown; path: string; hint: RegExp }> = [
  {
    rpc: "flightcontrol.v1.RunService/CreateRun",
    body: { spec: { agent: "shell", prompt: "true", timeoutSecondz: 5 } },
    path: "spec.timeoutSecondz",
    hint: /did you mean "timeoutSeconds"\?/,
  },
  {
    rpc: "flightcontrol.v1.JobService/CreateJob",
    body: { nmae: "typo", spec: { agent: "shell", prompt: "true" } },
    path: "nmae",
    hint: /did you mean "name"\?/,
  },
  {
    rpc: "flightcontrol.v1.RunService/ListRuns",
    body: { pageSize: 5, orderBy: "createTime" },
    path: "orderBy",
    hint: /flightcontrol\.v1\.ListRunsRequest has: .*jobId/,
  },
  { rpc: "flightcontrol.v1.ApiKeyService/WhoAmI", body: { verbose: true }, path: "verbose", hint: /has no fields/ },
  { rpc: "grpc.health.v1.Health/Check", body: { service: "", deep: true }, path: "deep", hint: /grpc\.health\.v1\.HealthCheckRequest has: service/ },
];

async function runCount(): Promise<number> {
  const res = await connectUnary(server.url, "/flightcontrol.v1.RunService/ListRuns", JSON.stringify({ pageSize: 500 }), { key: ADMIN_KEY });
  expect(res.code, res.message).toBe("ok");
  return ((JSON.parse(res.raw.split("\n\n")[1]!) as { runs?: unknown[] }).runs ?? []).length;
}

describe("an unknown JSON field", () => {
  it.each(CASES.map((c) => [c.rpc, c] as const))("%s: Connect JSON gets InvalidArgument naming it", async (_rpc, c) => {
    const before = await runCount();
    const res = await connectUnary(server.url, `/${c.rpc}`, json(c.body), { key: ADMIN_KEY });
    expect(res.httpStatus, res.raw).toBe(400);
    expect(res.code).toBe("invalid_argument");
    expect(res.message).toContain(`unknown field "${c.path}"`);
    expect(res.message).toMatch(c.hint);
    expect(res.message).toContain("remove it or correct its name");
    expect(await runCount()).toBe(before);
  });

  it.each(CASES.map((c) => [c.rpc, c] as const))("%s: gRPC-Web JSON gets InvalidArgument naming it", async (_rpc, c) => {
    const res = await grpcWeb(c.rpc, json(c.body), "json");
    expect(res.status).toBe(INVALID_ARGUMENT);
    expect(res.message).toContain(`unknown field "${c.path}"`);
    expect(res.message).toMatch(c.hint);
  });

  it("in a server stream's request (WatchRun, Connect JSON) ends the stream with InvalidArgument naming it", async () => {
    const res = await connectStream(
      server.url,
      "/flightcontrol.v1.RunService/WatchRun",
      [JSON.stringify({ runId: "01890000-0000-7000-8000-000000000000", afterSeqq: 1 })],
      { key: ADMIN_KEY },
    );
    expect(res.code).toBe("invalid_argument");
    expect(res.message).toMatch(/unknown field "afterSeqq" \(did you mean "afterSeq"\?\)/);
  });

  it("deep in a repeated or map field is named by its path", async () => {
    const res = await connectUnary(
      server.url,
      "/flightcontrol.v1.RunService/CreateRun",
      json({
        spec: { agent: "shell", prompt: "true", extensions: [{ name: "x", stdio: { command: "y", argz: [] } }] },
      }),
      { key: ADMIN_KEY },
    );
    expect(res.code).toBe("invalid_argument");
    expect(res.message).toContain('unknown field "spec.extensions[].stdio.argz" (did you mean "args"?)');
  });

  it("the same request without the unknown key is accepted, in both JSON protocols", async () => {
    const ok = await connectUnary(
      server.url,
      "/flightcontrol.v1.RunService/CreateRun",
      json({ spec: { agent: "shell", prompt: "true", timeoutSeconds: 5 } }),
      { key: ADMIN_KEY },
    );
    expect(ok.code, ok.message).toBe("ok");
    const web = await grpcWeb("flightcontrol.v1.RunService/CreateRun", json({ spec: { agent: "shell", prompt: "true", timeoutSeconds: 5 } }), "json");
    expect(web.status, web.message).toBe(0);
    expect(web.frames).toBe(1);
  });
});

describe("an unknown field in binary protobuf", () => {
  /** A valid message with field 999 (which no message of ours has) appended, as a newer client might send. */
  const withUnknownField = (bytes: Uint8Array) => Buffer.concat([bytes, new BinaryWriter().tag(999, WireType.Varint).int32(1).finish()]);

  it("is skipped as protobuf specifies, over Connect and gRPC-Web", async () => {
    const before = await runCount();
    const createRun = withUnknownField(
      toBinary(CreateRunRequestSchema, create(CreateRunRequestSchema, { spec: { agent: "shell", prompt: "true" } })),
    );
    const connect = await connectUnary(server.url, "/flightcontrol.v1.RunService/CreateRun", createRun, {
      key: ADMIN_KEY,
      contentType: "application/proto",
    });
    expect(connect.code, connect.message).toBe("ok");
    const web = await grpcWeb("flightcontrol.v1.RunService/CreateRun", createRun, "proto");
    expect(web.status, web.message).toBe(0);
    expect(await runCount()).toBe(before + 2);

    const listRuns = withUnknownField(toBinary(ListRunsRequestSchema, create(ListRunsRequestSchema, { pageSize: 1 })));
    const listed = await grpcWeb("flightcontrol.v1.RunService/ListRuns", listRuns, "proto");
    expect(listed.status, listed.message).toBe(0);
  });
});
