// Artifact uploads and the worker stream: a connection cut in the middle of an upload, and one cut
// after the server stored an artifact but before its acknowledgement left, lose nothing and store
// nothing twice; and a worker cannot upload for a run it does not hold.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactKind } from "../../src/gen/flightcontrol/v1/artifact_pb";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService, type ArtifactChunk } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { tempDir } from "../../../testkit/temp-dir";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";
import { handWorker, hello } from "../../../testkit/worker-session";
import { startProxy, type FaultProxy } from "../faults/proxy";
import { blobFiles, collectChunks, finished, incomingFiles, sha256, succeeded } from "./artifacts-support";

let server: TestServer;
let proxy: FaultProxy;
let worker: WorkerProcess;
const source = tempDir("fc-artifacts-source-");
/** Twelve 256 KiB chunks and a bit: long enough to be cut in the middle. */
const big = randomBytes(3 * 1024 * 1024 + 5);

beforeAll(async () => {
  server = await startTestServer();
  proxy = await startProxy(server.port);
  worker = startWorker(proxy.url, { name: "artifacts-cut", agents: "shell" });
  writeFileSync(join(source, "big.bin"), big);
  await waitFor(async () => (await client(WorkerService, server.url, ADMIN_KEY).listWorkers({})).workers.length === 1, { what: "worker to connect" });
});
afterAll(async () => {
  await worker?.kill();
  await proxy?.close();
  await server?.cleanup();
});

describe("artifact uploads across a broken connection", () => {
  it("a cut mid-upload and a cut before the acknowledgement lose nothing and store nothing twice", async () => {
    const uploads = server.app.artifactUploads;
    const receive = uploads.receive.bind(uploads);
    const cuts: string[] = [];
    // The server's own receiver, cut around: the first cut lands after a middle chunk of big.bin is
    // written, the second after big.bin is stored but before its ArtifactAck is sent.
    uploads.receive = async (owner: object, c: ArtifactChunk) => {
      const outcome = await receive(owner, c);
      if (c.name === "big.bin" && c.offset > 0n && !c.last && !cuts.includes("mid-upload")) {
        cuts.push("mid-upload");
        proxy.cut();
      } else if (c.name === "big.bin" && outcome?.stored && !cuts.includes("before-ack")) {
        cuts.push("before-ack");
        proxy.cut();
      }
      return outcome;
    };
    try {
      const runs = client(RunService, server.url, ADMIN_KEY);
      const prompt = `cp ${join(source, "big.bin")} big.bin && echo small > small.txt`;
      const { run } = await runs.createRun({ spec: { agent: "shell", prompt, artifactPaths: ["big.bin", "small.txt"] } });
      const done = await finished(server.url, run!.id);
      expect(succeeded(done), `${done.error}\n${worker.output()}`).toBe(true);
      expect(cuts).toEqual(["mid-upload", "before-ack"]);

      const { artifacts } = await runs.listArtifacts({ runId: run!.id });
      expect(artifacts.map((a) => a.name).sort()).toEqual(["big.bin", "small.txt"]);
      const bigArtifact = artifacts.find((a) => a.name === "big.bin")!;
      expect(bigArtifact.kind).toBe(ArtifactKind.FILE);
      expect(sha256(await collectChunks(runs.downloadArtifact({ id: bigArtifact.id })))).toBe(sha256(big));
      // One row and one blob per artifact, although big.bin was sent three times.
      expect(await server.app.artifactStore.count()).toBe(2);
      expect(blobFiles(server.dataDir).sort()).toEqual(artifacts.map((a) => a.id).sort());
      // The partial upload of the cut session is discarded.
      await waitFor(() => incomingFiles(server.dataDir).length === 0, { what: "the partial upload to be discarded" });
    } finally {
      uploads.receive = receive;
    }
  });
});

describe("uploads for a run the worker does not hold", () => {
  it("are refused with a reason and store nothing", async () => {
    const runs = client(RunService, server.url, ADMIN_KEY);
    // A real run, finished and so held by no worker; and an id no run has.
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "true" } });
    await finished(server.url, run!.id);
    const rowsBefore = await server.app.artifactStore.count();
    const blobsBefore = blobFiles(server.dataDir).length;
    const rogue = handWorker(server.url, { case: "hello", value: hello("artifacts-rogue") });
    try {
      await rogue.next("welcome");
      const data = Buffer.from("planted");
      for (const runId of [run!.id, "01890000-0000-7000-8000-0000000000aa"]) {
        const artifactId = randomUUID();
        rogue.send({
          case: "artifactChunk",
          value: {
            runId,
            attempt: 1,
            artifactId,
            name: "planted.txt",
            kind: ArtifactKind.FILE,
            contentType: "text/plain",
            offset: 0n,
            data,
            last: true,
            sizeBytes: BigInt(data.length),
            sha256: createHash("sha256").update(data).digest("hex"),
          },
        });
        const ack = await rogue.next("artifactAck", (a) => a.artifactId === artifactId);
        expect(ack.stored).toBe(false);
        expect(ack.error).toContain(`does not hold run ${runId}`);
      }
      expect(await server.app.artifactStore.count()).toBe(rowsBefore);
      expect(blobFiles(server.dataDir).length).toBe(blobsBefore);
      expect((await runs.listArtifacts({ runId: run!.id })).artifacts).toEqual([]);
    } finally {
      await rogue.close();
    }
  });
});

describe("partial uploads left by a stopped server", () => {
  it("are deleted when the server starts again; recent ones are left alone", async () => {
    const dataDir = tempDir("fc-artifacts-restart-");
    const incoming = join(dataDir, "artifacts", "incoming");
    mkdirSync(incoming, { recursive: true });
    writeFileSync(join(incoming, "stale.part"), "half an upload");
    const hoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(join(incoming, "stale.part"), hoursAgo, hoursAgo);
    writeFileSync(join(incoming, "fresh.part"), "being written");
    const again = await startTestServer({}, dataDir);
    try {
      await waitFor(() => !incomingFiles(dataDir).includes("stale.part"), { what: "the stale partial upload to be deleted" });
      expect(incomingFiles(dataDir)).toEqual(["fresh.part"]);
    } finally {
      await again.cleanup();
    }
  });
});
