/**
 * Malformed frames on the wire: gRPC over HTTP/2 (and gRPC-Web, and the Connect protocol's binary
 * form) with bodies a client library would never produce — garbage, truncated or lying length
 * prefixes, a 2 GB length, bytes that are not protobuf, compression flags nobody negotiated — and
 * raw bytes on the TCP socket before any protocol. Each is refused with a precise code, never
 * Internal and never a stack trace; nothing is stored; the server keeps serving.
 */
import * as http2 from "node:http2";
import { fromBinary, toBinary, create, type DescMethod } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GetJobRequestSchema } from "../../src/gen/flightcontrol/v1/job_pb";
import { Health } from "../../src/gen/grpc/health/v1/health_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY, WORKER_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { snapshotDb, type DbSnapshot } from "./support/db";
import { createFixtures } from "./support/fixtures";
import { checkProperty, runs } from "./support/fuzz";
import { allMethods, readOnly, rpcName, rpcPath } from "./support/requests";
import { connectUnary, envelope, grpcRaw, leaksInternals, rawTcp, type WireResult } from "./support/wire";

const GET_JOB = "/flightcontrol.v1.JobService/GetJob";
const CREATE_JOB = "/flightcontrol.v1.JobService/CreateJob";
const WATCH_RUN = "/flightcontrol.v1.RunService/WatchRun";
const CONNECT = "/flightcontrol.v1.WorkerService/Connect";
const AUTH = { authorization: `Bearer ${ADMIN_KEY}` };
/** Only a worker key may open a worker session: the frames must reach the parser, not stop at the role check. */
const authFor = (path: string) => (path === CONNECT ? { authorization: `Bearer ${WORKER_KEY}` } : AUTH);

let server: TestServer;
let h2: http2.ClientHttp2Session;
let before: DbSnapshot;

beforeAll(async () => {
  server = await startTestServer({ workerLostAfterMs: 3_600_000, assignAckTimeoutMs: 3_600_000 });
  await createFixtures(server.url);
});
afterAll(async () => {
  h2?.close();
  await server?.cleanup();
});
beforeEach(async () => {
  // A session the server may legitimately tear down after a protocol error: open a fresh one per test.
  h2?.close();
  h2 = http2.connect(server.url);
  before = await snapshotDb(server.app.sql);
});

/** The server still answers plain HTTP, gRPC health and a real RPC, and stored nothing. */
async function stillServingAndUnchanged(what: string) {
  expect((await fetch(`${server.url}/healthz`)).status, `${what}: /healthz`).toBe(200);
  const health = await client(Health, server.url, undefined, "grpc").check({ service: "" });
  expect(health.status, `${what}: grpc health`).toBe(1);
  const after = await snapshotDb(server.app.sql);
  expect(after.counts, `${what} changed row counts`).toEqual(before.counts);
  expect(after.digest, `${what} changed the database`).toBe(before.digest);
}

function expectRefused(res: WireResult, codes: string[], what: string) {
  expect(codes, `${what}: got ${res.code} "${res.message}"`).toContain(res.code);
  expect(res.message.trim(), `${what}: no message`).not.toBe("");
  expect(leaksInternals(res.raw), `${what} leaked internals:\n${res.raw.slice(0, 1500)}`).toBeUndefined();
}

const validGetJob = toBinary(GetJobRequestSchema, create(GetJobRequestSchema, { id: "01890000-0000-7000-8000-000000000000" }));
/** Field 1 (id, a string) claiming 127 bytes with none following; then an invalid UTF-8 string; then a reserved wire type. */
const NOT_PROTOBUF = {
  truncatedField: Uint8Array.from([0x0a, 0x7f]),
  invalidUtf8: Uint8Array.from([0x0a, 0x02, 0xc3, 0x28]),
  badWireType: Uint8Array.from([0x0f, 0x01]),
  overlongVarint: Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  groupEndWithoutStart: Uint8Array.from([0x0c]),
};

describe("gRPC frames (HTTP/2, application/grpc)", () => {
  it("garbage instead of an envelope: refused as an oversized or malformed message", async () => {
    for (const body of ["this is not a grpc frame", "\u0000\u0000", "GET / HTTP/1.1\r\n\r\n", "\u00ff".repeat(64)]) {
      const res = await grpcRaw(h2, GET_JOB, Buffer.from(body, "latin1"), AUTH);
      expectRefused(res, ["invalid_argument", "resource_exhausted"], `garbage ${JSON.stringify(body)}`);
    }
    await stillServingAndUnchanged("garbage frames");
  });

  it("a truncated length prefix: InvalidArgument", async () => {
    for (const n of [1, 2, 3, 4]) {
      const res = await grpcRaw(h2, CREATE_JOB, Buffer.alloc(n), AUTH);
      expectRefused(res, ["invalid_argument"], `${n}-byte prefix`);
      expect(res.message).toMatch(/envelope|incomplete|protocol/i);
    }
    await stillServingAndUnchanged("truncated prefixes");
  });

  it("a length prefix claiming more than is sent: InvalidArgument naming the shortfall", async () => {
    const res = await grpcRaw(h2, CREATE_JOB, envelope(validGetJob, 0, validGetJob.length + 100), AUTH);
    expectRefused(res, ["invalid_argument"], "short body");
    expect(res.message).toMatch(/promised|incomplete|bytes/i);
    await stillServingAndUnchanged("short body");
  });

  it("a length prefix claiming 2 GB (and 4 GB - 1): ResourceExhausted at once, nothing buffered", async () => {
    for (const claimed of [0x7fffffff, 0x80000000, 0xffffffff, server.config.maxMessageBytes + 1]) {
      const started = Date.now();
      const res = await grpcRaw(h2, CREATE_JOB, envelope(Uint8Array.from([0x0a]), 0, claimed), AUTH);
      expectRefused(res, ["resource_exhausted"], `claimed ${claimed}`);
      expect(res.message).toMatch(/larger than|readMaxBytes|limit/i);
      expect(Date.now() - started).toBeLessThan(2_000);
    }
    // The same on a stream: the worker session and a server stream refuse it before reading on.
    for (const path of [CONNECT, WATCH_RUN]) {
      const res = await grpcRaw(h2, path, envelope(Uint8Array.from([0x0a]), 0, 0x7fffffff), authFor(path));
      expectRefused(res, ["resource_exhausted"], `2 GB on ${path}`);
    }
    await stillServingAndUnchanged("2 GB prefixes");
  });

  it.each(Object.entries(NOT_PROTOBUF))("bytes that are not protobuf (%s): InvalidArgument, not Internal", async (_name, bytes) => {
    for (const path of [GET_JOB, CREATE_JOB, WATCH_RUN, CONNECT]) {
      const res = await grpcRaw(h2, path, envelope(bytes), authFor(path));
      expect(res.code, `${path}: ${res.message}`).not.toBe("internal");
      expectRefused(res, ["invalid_argument"], path);
    }
    await stillServingAndUnchanged("invalid protobuf");
  });

  it("bytes that are not protobuf, without a key: refused (Unauthenticated or InvalidArgument), not Internal", async () => {
    const res = await grpcRaw(h2, CREATE_JOB, envelope(NOT_PROTOBUF.truncatedField));
    expectRefused(res, ["unauthenticated", "invalid_argument"], "anonymous invalid protobuf");
  });

  it("the compressed flag set with no grpc-encoding: refused as a protocol error, not Internal", async () => {
    const res = await grpcRaw(h2, GET_JOB, envelope(validGetJob, 1), AUTH);
    expectRefused(res, ["invalid_argument", "unimplemented"], "compressed flag without encoding");
    await stillServingAndUnchanged("compressed flag");
  });

  it("an encoding the server does not support: Unimplemented, naming what it accepts", async () => {
    const res = await grpcRaw(h2, GET_JOB, envelope(validGetJob, 1), { ...AUTH, "grpc-encoding": "zstd" });
    expectRefused(res, ["unimplemented"], "zstd");
    expect(res.message).toMatch(/zstd|gzip|compression|encoding/i);
  });

  it("gzip that is not gzip: refused, not Internal", async () => {
    const res = await grpcRaw(h2, GET_JOB, envelope(Buffer.from("definitely not gzip"), 1), { ...AUTH, "grpc-encoding": "gzip" });
    expectRefused(res, ["invalid_argument"], "bad gzip");
    await stillServingAndUnchanged("bad gzip");
  });

  it("two messages on a unary call, or none: InvalidArgument", async () => {
    const two = await grpcRaw(h2, GET_JOB, Buffer.concat([envelope(validGetJob), envelope(validGetJob)]), AUTH);
    expectRefused(two, ["invalid_argument", "unimplemented"], "two messages");
    const none = await grpcRaw(h2, GET_JOB, Buffer.alloc(0), AUTH);
    expectRefused(none, ["invalid_argument", "unimplemented"], "no message");
  });

  it("an end-of-stream flag or unknown flags inside a request: refused, not Internal", async () => {
    for (const flags of [0x02, 0x80, 0x7e]) {
      const res = await grpcRaw(h2, GET_JOB, envelope(validGetJob, flags), AUTH);
      // Only the compression bit is defined; a server may ignore the others, but must not fail on them.
      expectRefused(res, ["invalid_argument", "unimplemented", "not_found"], `flags 0x${flags.toString(16)}`);
    }
    await stillServingAndUnchanged("odd flags");
  });

  it("any bytes as a message of any RPC: never Internal, nothing stored, still serving (property)", async () => {
    const validator = createValidator();
    const target = fc.constantFrom(...allMethods);
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      // Valid tags with garbage after them reach deeper into the decoder.
      fc
        .tuple(fc.constantFrom(0x0a, 0x12, 0x1a, 0x08, 0x10, 0x22, 0x2a), fc.uint8Array({ maxLength: 40 }))
        .map(([t, rest]) => Uint8Array.from([t, ...rest])),
    );
    await checkProperty(
      "random protobuf bytes",
      fc.asyncProperty(target, payload, async (m: DescMethod, bytes) => {
        let valid = false;
        try {
          valid = validator.validate(m.input, fromBinary(m.input, bytes)).kind === "valid";
        } catch {
          // Not protobuf: must be InvalidArgument.
        }
        // A valid request would act (or, for a stream, stay open); only valid reads are sent.
        if (valid) fc.pre(readOnly(m));
        const expected = valid ? "ok|not_found" : "invalid_argument";
        const snap = await snapshotDb(server.app.sql);
        const res = await grpcRaw(h2, rpcPath(m), envelope(bytes), authFor(rpcPath(m)), 5_000);
        const what = `${rpcName(m)} with bytes [${Buffer.from(bytes).toString("hex")}]`;
        expect(res.code, `${what}: ${res.message}`).not.toBe("internal");
        expect(expected.split("|"), `${what}: ${res.code} ${res.message}`).toContain(res.code);
        expect(leaksInternals(res.raw), what).toBeUndefined();
        expect((await snapshotDb(server.app.sql)).digest, `${what} changed the database`).toBe(snap.digest);
      }),
      runs(150, 3000),
    );
    await stillServingAndUnchanged("random protobuf");
  });
});

describe("gRPC-Web and the Connect protocol's binary form", () => {
  it("gRPC-Web with bytes that are not protobuf: InvalidArgument, not Internal", async () => {
    const res = await new Promise<WireResult>((resolve) => {
      const req = h2.request({ ":method": "POST", ":path": GET_JOB, "content-type": "application/grpc-web+proto", ...AUTH });
      const chunks: Buffer[] = [];
      req.on("data", (d: Buffer) => chunks.push(d));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const trailer = body.toString("latin1");
        const status = /grpc-status:\s*(\d+)/i.exec(trailer)?.[1];
        const message = decodeURIComponent(/grpc-message:\s*([^\r\n]*)/i.exec(trailer)?.[1] ?? "");
        const names = [
          "ok",
          "canceled",
          "unknown",
          "invalid_argument",
          "deadline_exceeded",
          "not_found",
          "already_exists",
          "permission_denied",
          "resource_exhausted",
          "failed_precondition",
          "aborted",
          "out_of_range",
          "unimplemented",
          "internal",
        ];
        resolve({ httpStatus: 200, code: status === undefined ? "none" : names[Number(status)], message, raw: trailer });
      });
      req.end(envelope(NOT_PROTOBUF.truncatedField));
    });
    expectRefused(res, ["invalid_argument"], "grpc-web invalid protobuf");
  });

  it("Connect unary with application/proto bytes that are not protobuf: 400 InvalidArgument, not 500 Internal", async () => {
    for (const bytes of Object.values(NOT_PROTOBUF)) {
      const res = await connectUnary(server.url, CREATE_JOB, bytes, { key: ADMIN_KEY, contentType: "application/proto" });
      expectRefused(res, ["invalid_argument"], `application/proto ${Buffer.from(bytes).toString("hex")}`);
      expect(res.httpStatus).toBe(400);
    }
    await stillServingAndUnchanged("connect binary");
  });

  it("Connect unary with a content type it does not serve: 415, not a crash", async () => {
    for (const contentType of ["text/plain", "application/xml", "application/json; charset=latin1", "multipart/form-data; boundary=x"]) {
      const res = await connectUnary(server.url, CREATE_JOB, "{}", { key: ADMIN_KEY, contentType });
      expect([415, 400], `${contentType}: ${res.httpStatus}`).toContain(res.httpStatus);
      expect(leaksInternals(res.raw)).toBeUndefined();
    }
  });

  it("Connect unary with a Content-Length that lies: refused, the server keeps serving", async () => {
    const port = server.port;
    const body = '{"id":"01890000-0000-7000-8000-000000000000"}';
    const head = (len: number) =>
      `POST ${GET_JOB} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${ADMIN_KEY}\r\ncontent-length: ${len}\r\nconnection: close\r\n\r\n`;
    // Claims more than it sends, then goes quiet: the request must not be processed as complete.
    const short = await rawTcp(port, head(body.length + 50) + body, 500);
    expect(short).not.toMatch(/ 200 OK/);
    // A huge claimed length is refused by the limit, without waiting for 4 GB.
    const huge = await rawTcp(port, head(4 * 1024 ** 3) + body, 1_500);
    expect(huge, "4 GB content-length").toMatch(/HTTP\/1\.1 (413|400|429)|resource_exhausted/);
    await stillServingAndUnchanged("lying content-length");
  });
});

describe("anonymous requests are refused before their body is read", () => {
  // connect-es runs interceptors only after the whole request message was read and parsed; a
  // request without a key should cost the server no more than its headers (connect's requestGate).
  it("a Connect request without a key whose body never finishes gets Unauthenticated at once", async () => {
    const head = `POST ${CREATE_JOB} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n{"name":`;
    const started = Date.now();
    const reply = await rawTcp(server.port, head, 1_500);
    expect(reply, `no answer within ${Date.now() - started} ms: the server waits for the body of an anonymous request`).toMatch(/^HTTP\/1\.1 401/);
    expect(reply).toContain("unauthenticated");
  });

  it("a gRPC stream without a key whose message never finishes gets Unauthenticated at once", async () => {
    const res = await new Promise<string>((resolve) => {
      const req = h2.request({ ":method": "POST", ":path": CONNECT, "content-type": "application/grpc", te: "trailers" });
      const timer = setTimeout(() => {
        req.close(http2.constants.NGHTTP2_CANCEL);
        resolve("no answer");
      }, 1_500);
      req.on("trailers", (t) => resolve(String(t["grpc-status"])));
      req.on("response", (h) => h["grpc-status"] !== undefined && resolve(String(h["grpc-status"])));
      req.on("close", () => clearTimeout(timer));
      // A prefix promising 1 MB, and then nothing.
      req.write(envelope(Uint8Array.from([0x0a]), 0, 1_000_000));
    });
    expect(res, "grpc-status").toBe("16");
  });

  it("an anonymous body past the size limit is Unauthenticated, not read to the limit", async () => {
    const res = await connectUnary(server.url, CREATE_JOB, `{"padding":"${"x".repeat(server.config.maxMessageBytes + 1)}"}`);
    expect(res.code, res.message).toBe("unauthenticated");
  });
});

describe("raw bytes on the socket, before any protocol", () => {
  it("survives garbage, a broken HTTP/2 preface and frames, and an HTTP/2 preface followed by junk", async () => {
    const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    const cases: Array<[string, Uint8Array | string]> = [
      ["random bytes", Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
      ["nul bytes", Buffer.alloc(1024)],
      ["half a preface", preface.slice(0, 10)],
      ["preface then junk", `${preface}\u0000\u0000\u0004\u0099\u0000\u0000\u0000\u0000\u0000garbage`],
      [
        "preface then a frame claiming 16 MB",
        Buffer.concat([Buffer.from(preface), Buffer.from([0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01])]),
      ],
      [
        "preface then a HEADERS frame on stream 0",
        Buffer.concat([Buffer.from(preface), Buffer.from([0x00, 0x00, 0x01, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x82])]),
      ],
      ["an HTTP/1.1 request line of junk", "\u0001\u0002 / HTTP/9.9\r\n\r\n"],
      ["an HTTP/1.1 request with a 100 KB header", `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(100_000)}\r\n\r\n`],
      [
        "an h2c upgrade request",
        "GET / HTTP/1.1\r\nhost: x\r\nconnection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
      ],
    ];
    for (const [name, bytes] of cases) {
      const reply = await rawTcp(server.port, bytes, 300);
      expect(leaksInternals(reply), `${name}: ${reply.slice(0, 500)}`).toBeUndefined();
      expect((await fetch(`${server.url}/healthz`)).status, `after ${name}`).toBe(200);
    }
    await stillServingAndUnchanged("raw socket bytes");
  });
});
