// The upload receiver when a worker's session closes while a chunk is still being received: its
// temp file is not left behind, whether the session closed while the first chunk's file was being
// opened or while a later chunk was being written. Real SQLite store and filesystem blobs.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArtifactUploads, type ArtifactUploads } from "../../src/domain/artifacts/artifact-uploads";
import { ArtifactKind } from "../../src/gen/flightcontrol/v1/artifact_pb";
import { ArtifactChunkSchema } from "../../src/gen/flightcontrol/v1/worker_pb";
import { createArtifactStore, type ArtifactStore } from "../../src/storage/artifact-store";
import { createFsBlobStore } from "../../src/storage/blobs/fs-blob-store";
import { openDatabase, type Database } from "../../src/storage/data-source";
import { tempDir } from "../../../testkit/temp-dir";

let db: Database;
let store: ArtifactStore;
let uploads: ArtifactUploads;
let incoming: string;
const runId = randomUUID();
const data = randomBytes(3000);

beforeAll(async () => {
  const dir = tempDir("fc-artifact-uploads-");
  db = await openDatabase(`sqlite:${join(dir, "fc.db")}`);
  store = createArtifactStore(db);
  incoming = join(dir, "incoming");
  uploads = createArtifactUploads({ store, blobs: createFsBlobStore(join(dir, "blobs")), tempDir: incoming, log: pino({ level: "silent" }) });
});
afterAll(async () => {
  await db?.dataSource.destroy();
});

/** Chunk `i` of `data` cut in three, for upload `artifactId`. */
function chunk(artifactId: string, i: number) {
  const size = 1000;
  const last = i === 2;
  return create(ArtifactChunkSchema, {
    runId,
    attempt: 1,
    artifactId,
    name: "out.bin",
    kind: ArtifactKind.FILE,
    contentType: "application/octet-stream",
    offset: BigInt(i * size),
    data: data.subarray(i * size, (i + 1) * size),
    last,
    sizeBytes: last ? BigInt(data.length) : 0n,
    sha256: last ? createHash("sha256").update(data).digest("hex") : "",
  });
}

const partials = () => readdirSync(incoming);

describe("an upload whose session closes mid-chunk", () => {
  it("leaves no temp file when the session closes while the first chunk's file is being opened", async () => {
    const session = {};
    const id = randomUUID();
    // Not awaited: closed() runs while receive() is inside its first await (creating the temp file).
    const receiving = uploads.receive(session, chunk(id, 0));
    await uploads.closed(session);
    expect(await receiving).toBeUndefined();
    expect(partials()).toEqual([]);
    // A chunk that arrives for the closed session starts nothing either.
    expect(await uploads.receive(session, chunk(id, 0))).toBeUndefined();
    expect(partials()).toEqual([]);
  });

  it("leaves no temp file when the session closes while a later chunk is being written", async () => {
    const session = {};
    const id = randomUUID();
    await uploads.receive(session, chunk(id, 0));
    expect(partials()).toHaveLength(1);
    const receiving = uploads.receive(session, chunk(id, 1));
    await uploads.closed(session);
    expect(await receiving).toBeUndefined();
    expect(partials()).toEqual([]);
  });

  it("stores the artifact whole when the worker resends it on its next session", async () => {
    const first = {};
    const id = randomUUID();
    await uploads.receive(first, chunk(id, 0));
    void uploads.receive(first, chunk(id, 1));
    await uploads.closed(first);
    const next = {};
    expect(await uploads.receive(next, chunk(id, 0))).toBeUndefined();
    expect(await uploads.receive(next, chunk(id, 1))).toBeUndefined();
    expect(await uploads.receive(next, chunk(id, 2))).toEqual({ runId, artifactId: id, stored: true, error: "" });
    expect((await store.byUpload(runId, id))?.sizeBytes).toBe(data.length);
    expect(partials()).toEqual([]);
  });
});
