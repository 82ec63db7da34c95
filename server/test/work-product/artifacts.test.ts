// Artifacts end to end with a real server and a real worker: collection after a shell run (masking,
// binary fidelity, symlinks out of the workspace, the per-file limit), listing and downloading over
// Connect, gRPC and plain HTTP, and who may do it.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { ArtifactKind, type Artifact } from "../../src/gen/flightcontrol/v1/artifact_pb";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { tempDir } from "../../../testkit/temp-dir";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";
import { newKey, refused } from "../foundation/helpers";
import { collectChunks, finished, logText, sha256, succeeded } from "./artifacts-support";

const SECRET = "sk-artifact-7f3a9c1e5b2d8046";
const MAX_FILE = 1024 * 1024;

let server: TestServer;
let worker: WorkerProcess;
const outside = tempDir("fc-artifacts-outside-");
/** Random bytes (NULs included) larger than one 256 KiB upload chunk. */
const binary = randomBytes(700 * 1024 + 17);
let runId = "";
let artifacts: Artifact[] = [];

beforeAll(async () => {
  server = await startTestServer();
  worker = startWorker(server.url, { name: "artifacts-1", agents: "shell", env: { ORCH_ARTIFACT_MAX_FILE_BYTES: String(MAX_FILE) } });
  writeFileSync(join(outside, "blob.bin"), binary);
  writeFileSync(join(outside, "host-secret.txt"), "not for the server\n");
  await waitFor(async () => (await client(WorkerService, server.url, ADMIN_KEY).listWorkers({})).workers.length === 1, { what: "worker to connect" });

  const { credential } = await client(CredentialService, server.url, ADMIN_KEY).createCredential({
    name: "artifact-token",
    env: { API_TOKEN: SECRET },
  });
  const prompt = [
    "mkdir -p out/nested",
    'printf "token=%s\\nplain line\\n" "$API_TOKEN" > out/report.txt',
    `cp ${join(outside, "blob.bin")} out/nested/blob.bin`,
    `ln -s ${join(outside, "host-secret.txt")} out/escape.txt`,
    `head -c ${MAX_FILE + 1} /dev/zero | tr '\\0' a > out/big.txt`,
    "echo not kept > ignored.txt",
  ].join(" && ");
  const runs = client(RunService, server.url, ADMIN_KEY);
  const { run } = await runs.createRun({ spec: { agent: "shell", prompt, credentialIds: [credential!.id], artifactPaths: ["out/**"] } });
  runId = run!.id;
  const done = await finished(server.url, runId);
  expect(succeeded(done), `${done.error}\n${worker.output()}`).toBe(true);
  artifacts = (await runs.listArtifacts({ runId })).artifacts;
});
afterAll(async () => {
  await worker?.kill();
  await server?.cleanup();
});

const byName = (name: string) => {
  const a = artifacts.find((x) => x.name === name);
  if (!a) throw new Error(`no artifact ${name} in ${artifacts.map((x) => x.name).join(", ")}`);
  return a;
};

describe("artifacts of a run", () => {
  it("keeps the matching files, and a finished run already lists all of them", () => {
    expect(artifacts.map((a) => a.name).sort()).toEqual(["out/nested/blob.bin", "out/report.txt"]);
    for (const a of artifacts) {
      expect(a.runId).toBe(runId);
      expect(a.kind).toBe(ArtifactKind.FILE);
      expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(a.createTime).toBeDefined();
    }
    expect(byName("out/nested/blob.bin").contentType).toBe("application/octet-stream");
    expect(byName("out/report.txt").contentType).toBe("text/plain; charset=utf-8");
  });

  it("names in the run's log the symlink out of the workspace and the file over the limit, and the run still succeeds", async () => {
    const text = await logText(server.url, runId);
    expect(text).toContain("Artifact out/escape.txt skipped: it is a symlink to a path outside the workspace");
    expect(text).toContain(
      `Artifact out/big.txt skipped: ${MAX_FILE + 1} bytes is over the per-file limit of ${MAX_FILE} bytes (ORCH_ARTIFACT_MAX_FILE_BYTES)`,
    );
  });

  it("masks credential values in text artifacts and keeps binary ones byte for byte (Connect)", async () => {
    const runs = client(RunService, server.url, ADMIN_KEY);
    const report = (await collectChunks(runs.downloadArtifact({ id: byName("out/report.txt").id }))).toString("utf8");
    expect(report).toBe("token=***\nplain line\n");
    expect(sha256(Buffer.from(report))).toBe(byName("out/report.txt").sha256);
    const blob = await collectChunks(runs.downloadArtifact({ id: byName("out/nested/blob.bin").id }));
    expect(blob.length).toBe(binary.length);
    expect(sha256(blob)).toBe(sha256(binary));
    expect(byName("out/nested/blob.bin").sha256).toBe(sha256(binary));
    expect(Number(byName("out/nested/blob.bin").sizeBytes)).toBe(binary.length);
  });

  it("downloads byte for byte over gRPC", async () => {
    const runs = client(RunService, server.url, ADMIN_KEY, "grpc");
    expect((await runs.listArtifacts({ runId })).artifacts.map((a) => a.id)).toEqual(artifacts.map((a) => a.id));
    const blob = await collectChunks(runs.downloadArtifact({ id: byName("out/nested/blob.bin").id }));
    expect(sha256(blob)).toBe(sha256(binary));
  });

  it("downloads byte for byte with GET /artifacts/<id>, as an attachment with its sha256 as the ETag", async () => {
    const a = byName("out/nested/blob.bin");
    const res = await fetch(`${server.url}/artifacts/${a.id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(sha256(body)).toBe(sha256(binary));
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-length")).toBe(String(binary.length));
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="blob.bin"; filename*=UTF-8''blob.bin`);
    expect(res.headers.get("etag")).toBe(`"${sha256(binary)}"`);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("default-src");
    const again = await fetch(`${server.url}/artifacts/${a.id}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "if-none-match": `"${sha256(binary)}"` },
    });
    expect(again.status).toBe(304);
  });

  it("lets a viewer list and download; refuses a request without a key, with an unknown key, and an unknown artifact", async () => {
    const { key } = await newKey(server.url, Role.VIEWER);
    const runs = client(RunService, server.url, key);
    expect((await runs.listArtifacts({ runId })).artifacts).toHaveLength(2);
    const report = byName("out/report.txt");
    expect((await collectChunks(runs.downloadArtifact({ id: report.id }))).toString()).toBe("token=***\nplain line\n");
    const viaHttp = await fetch(`${server.url}/artifacts/${report.id}`, { headers: { authorization: `Bearer ${key}` } });
    expect(viaHttp.status).toBe(200);
    expect(await viaHttp.text()).toBe("token=***\nplain line\n");

    const anonymous = await fetch(`${server.url}/artifacts/${report.id}`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain("Authorization: Bearer");
    expect((await fetch(`${server.url}/artifacts/${report.id}`, { headers: { authorization: "Bearer fc_nope" } })).status).toBe(401);
    expect((await fetch(`${server.url}/artifacts/${report.id}?key=${ADMIN_KEY}`)).status).toBe(401);
    const missing = "01890000-0000-7000-8000-000000000000";
    expect((await fetch(`${server.url}/artifacts/${missing}`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(404);
    await refused(collectChunks(runs.downloadArtifact({ id: missing })), Code.NotFound);
    await refused(client(RunService, server.url).listArtifacts({ runId }), Code.Unauthenticated);
    await refused(runs.listArtifacts({ runId: missing }), Code.NotFound);
  });

  it("refuses a worker key, which may only hold its session", async () => {
    const { key } = await newKey(server.url, Role.WORKER);
    await refused(client(RunService, server.url, key).listArtifacts({ runId }), Code.PermissionDenied);
    expect((await fetch(`${server.url}/artifacts/${artifacts[0].id}`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(403);
  });
});
