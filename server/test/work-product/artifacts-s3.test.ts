// The server with ORCH_ARTIFACT_STORE=s3://…: an artifact uploaded on the worker stream lands in
// the bucket (s3rver, path-style, us-east-1) and comes back byte for byte over HTTP and Connect.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadServerConfig } from "../../src/config";
import { ArtifactKind } from "../../src/gen/flightcontrol/v1/artifact_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { tempDir } from "../../../testkit/temp-dir";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { assignOf, handWorker, hello } from "../../../testkit/worker-session";
import { blobFiles, collectChunks, finished, sha256 } from "./artifacts-support";

const BUCKET = "fc-artifacts";
let s3: S3rver;
let server: TestServer;

beforeAll(async () => {
  s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: tempDir("fc-s3rver-"),
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const { port } = await s3.run();
  // Through the settings parser, as ORCH_* variables would configure it.
  const { artifacts } = loadServerConfig({
    ORCH_ARTIFACT_STORE: `s3://${BUCKET}/runs`,
    ORCH_S3_ENDPOINT: `http://127.0.0.1:${port}`,
    ORCH_S3_REGION: "us-east-1",
    ORCH_S3_ACCESS_KEY_ID: "S3RVER",
    ORCH_S3_SECRET_ACCESS_KEY: "S3RVER",
    ORCH_S3_FORCE_PATH_STYLE: "1",
  });
  expect(artifacts.store).toMatchObject({ kind: "s3", bucket: BUCKET, prefix: "runs/", forcePathStyle: true });
  server = await startTestServer({ artifacts });
});
afterAll(async () => {
  await server?.cleanup();
  await s3?.close();
});

describe("artifacts in an S3-compatible bucket", () => {
  it("stores an upload in the bucket and serves it back byte for byte", async () => {
    const runs = client(RunService, server.url, ADMIN_KEY);
    const w = handWorker(server.url, { case: "hello", value: hello("s3-hand") }, undefined, { heartbeat: true });
    try {
      await w.next("welcome");
      const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "true", artifactPaths: ["out.bin"] } });
      const { attempt } = await assignOf(w, run!.id);
      w.send({ case: "runStarted", value: { runId: run!.id, attempt } });
      const bytes = randomBytes(600 * 1024);
      const artifactId = randomUUID();
      const step = 256 * 1024;
      for (let off = 0; off < bytes.length; off += step) {
        const last = off + step >= bytes.length;
        w.send({
          case: "artifactChunk",
          value: {
            runId: run!.id,
            attempt,
            artifactId,
            name: "out.bin",
            kind: ArtifactKind.FILE,
            contentType: "application/octet-stream",
            offset: BigInt(off),
            data: bytes.subarray(off, off + step),
            last,
            sizeBytes: last ? BigInt(bytes.length) : 0n,
            sha256: last ? createHash("sha256").update(bytes).digest("hex") : "",
          },
        });
      }
      const ack = await w.next("artifactAck", (a) => a.artifactId === artifactId);
      expect(ack).toMatchObject({ stored: true, error: "" });
      w.send({ case: "runFinished", value: { runId: run!.id, attempt, status: RunStatus.SUCCEEDED, exitCode: 0 } });
      await finished(server.url, run!.id);

      const [artifact] = (await runs.listArtifacts({ runId: run!.id })).artifacts;
      expect(artifact).toMatchObject({ name: "out.bin", sha256: sha256(bytes), sizeBytes: BigInt(bytes.length) });
      // In the bucket, not on the server's disk.
      expect(blobFiles(server.dataDir)).toEqual([]);
      expect(sha256(await collectChunks(runs.downloadArtifact({ id: artifact.id })))).toBe(sha256(bytes));
      const res = await fetch(`${server.url}/artifacts/${artifact.id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect(res.status).toBe(200);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(bytes));
    } finally {
      await w.close();
    }
  });
});

describe("ORCH_ARTIFACT_STORE", () => {
  it("defaults to the filesystem, and refuses what it cannot use, saying what it accepts", () => {
    expect(loadServerConfig({}).artifacts).toEqual({ store: { kind: "fs" }, retentionDays: 30 });
    expect(loadServerConfig({ ORCH_ARTIFACT_STORE: "s3://b" }).artifacts.store).toMatchObject({
      kind: "s3",
      bucket: "b",
      prefix: "",
      region: "us-east-1",
      forcePathStyle: false,
    });
    expect(() => loadServerConfig({ ORCH_ARTIFACT_STORE: "gs://bucket" })).toThrow(
      /ORCH_ARTIFACT_STORE must be empty or "fs" .* or s3:\/\/bucket\/prefix; got "gs:\/\/bucket"/,
    );
    expect(() => loadServerConfig({ ORCH_ARTIFACT_STORE: "s3://" })).toThrow(/must name a bucket/);
    expect(() => loadServerConfig({ ORCH_ARTIFACT_RETENTION_DAYS: "-1" })).toThrow(/ORCH_ARTIFACT_RETENTION_DAYS must be a non-negative integer/);
  });
});
