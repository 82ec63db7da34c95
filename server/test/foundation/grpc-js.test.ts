import * as grpc from "@grpc/grpc-js";
import {
  create,
  fromBinary,
  toBinary,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { Health, HealthCheckResponse_ServingStatus } from "../../src/gen/grpc/health/v1/health_pb";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { spec } from "./helpers";

let server: TestServer;
let channel: grpc.Client;

beforeAll(async () => {
  server = await startTestServer();
  channel = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
});
afterAll(async () => {
  channel?.close();
  await server?.cleanup();
});

const path = (m: { parent: { typeName: string }; name: string }) => `/${m.parent.typeName}/${m.name}`;
const codec = <T extends DescMessage>(schema: T) => ({
  serialize: (value: MessageShape<T>) => Buffer.from(toBinary(schema, value)),
  deserialize: (bytes: Buffer) => fromBinary(schema, bytes),
});
function metadata(key: string | null): grpc.Metadata {
  const md = new grpc.Metadata();
  if (key) md.set("authorization", `Bearer ${key}`);
  return md;
}

/** One unary call through grpc-js's generic client (key null: no authorization metadata), encoded with the protobuf-es schemas. */
function unary<M extends DescMethodUnary>(
  method: M,
  input: MessageInitShape<M["input"]>,
  key: string | null = ADMIN_KEY,
): Promise<MessageShape<M["output"]>> {
  const req = codec(method.input);
  const res = codec(method.output);
  return new Promise((resolve, reject) => {
    channel.makeUnaryRequest(path(method), req.serialize, res.deserialize, create(method.input, input), metadata(key), (err, value) =>
      err ? reject(err) : resolve(value as MessageShape<M["output"]>),
    );
  });
}

function serverStream<M extends DescMethodServerStreaming>(method: M, input: MessageInitShape<M["input"]>, key = ADMIN_KEY) {
  const req = codec(method.input);
  const res = codec(method.output);
  return channel.makeServerStreamRequest(path(method), req.serialize, res.deserialize, create(method.input, input), metadata(key));
}

describe("@grpc/grpc-js generic client", () => {
  it("calls WhoAmI with a bearer key in the metadata", async () => {
    const me = await unary(ApiKeyService.method.whoAmI, {});
    expect(me.apiKey?.role).toBe(Role.ADMIN);
  });

  it("is refused with UNAUTHENTICATED without a key", async () => {
    const err = await unary(ApiKeyService.method.whoAmI, {}, null).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it("creates and lists jobs", async () => {
    const { job } = await unary(JobService.method.createJob, { name: "grpc-js job", spec: spec({ prompt: "from grpc-js" }) });
    expect(job?.spec?.prompt).toBe("from grpc-js");
    const { jobs } = await unary(JobService.method.listJobs, { query: "grpc-js" });
    expect(jobs.map((j) => j.id)).toEqual([job!.id]);
    const err = await unary(JobService.method.createJob, { name: "grpc-js job", spec: spec() }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.ALREADY_EXISTS);
  });

  it("follows a run with the WatchRun server stream until it ends", async () => {
    const { run } = await unary(RunService.method.createRun, { spec: spec({ prompt: "watch me" }) });
    const stream = serverStream(RunService.method.watchRun, { runId: run!.id });
    const states: RunStatus[] = [];
    let first: (() => void) | undefined;
    const gotFirst = new Promise<void>((r) => (first = r));
    const ended = new Promise<grpc.StatusObject>((resolve, reject) => {
      stream.on("data", (msg: MessageShape<typeof RunService.method.watchRun.output>) => {
        if (msg.run) states.push(msg.run.status);
        first?.();
      });
      stream.on("status", resolve);
      stream.on("error", reject);
    });
    await gotFirst;
    expect(states[0]).toBe(RunStatus.QUEUED);
    await unary(RunService.method.cancelRun, { id: run!.id, reason: "seen enough" });
    const status = await ended;
    expect(status.code).toBe(grpc.status.OK);
    expect(states.at(-1)).toBe(RunStatus.CANCELLED);
  });

  it("checks grpc.health.v1.Health, for the server and for each service", async () => {
    expect((await unary(Health.method.check, {}, null)).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await unary(Health.method.check, { service: "flightcontrol.v1.JobService" }, null)).status).toBe(
      HealthCheckResponse_ServingStatus.SERVING,
    );
    const err = await unary(Health.method.check, { service: "no.such.Service" }, null).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
  });
});
