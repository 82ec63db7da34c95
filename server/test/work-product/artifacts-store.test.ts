// The artifacts table through its store, on SQLite and (when its binaries are installed) Postgres:
// insert-or-ignore per (run_id, upload_id), listing in order, retention's page of old rows.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids";
import { createArtifactStore } from "../../src/storage/artifact-store";
import { openDatabase, type Database } from "../../src/storage/data-source";
import type { ArtifactRow } from "../../src/storage/entities";
import { havePostgres, TempCluster } from "../../../testkit/postgres";
import { tempDir } from "../../../testkit/temp-dir";

let cluster: TempCluster | undefined;
const opened: Database[] = [];

beforeAll(async () => {
  if (!havePostgres) return;
  cluster = new TempCluster();
  await cluster.start();
  await cluster.createDatabase("fc_artifacts");
}, 120_000);
afterAll(async () => {
  for (const db of opened) await db.dataSource.destroy();
  await cluster?.destroy();
});

const row = (runId: string, uploadId: string, createdAt: number, name = "a.txt"): ArtifactRow => ({
  id: newId(),
  runId,
  uploadId,
  name,
  sizeBytes: 5_000_000_000,
  sha256: "a".repeat(64),
  contentType: "text/plain",
  kind: "file",
  createdAt,
});

const databases: Array<[string, () => string | undefined]> = [
  ["sqlite", () => `sqlite:${join(tempDir("fc-artifact-store-"), "fc.db")}`],
  ["postgres", () => cluster?.url("fc_artifacts")],
];

describe.each(databases)("artifact store on %s", (dialect, url) => {
  it.skipIf(dialect === "postgres" && !havePostgres)("stores an upload once, lists a run's artifacts in order, pages old ones", async () => {
    const db = await openDatabase(url()!);
    opened.push(db);
    const store = createArtifactStore(db);
    const runId = randomUUID();
    const upload = randomUUID();
    const first = row(runId, upload, 1000);
    expect(await store.insertOnce(first)).toBe(true);
    // The same upload again (a resend after a lost ack) under a new id: ignored, the first row stays.
    expect(await store.insertOnce(row(runId, upload, 2000))).toBe(false);
    // The same upload id for another run is another artifact.
    expect(await store.insertOnce(row(randomUUID(), upload, 1500))).toBe(true);
    const second = row(runId, randomUUID(), 3000, "b.bin");
    expect(await store.insertOnce(second)).toBe(true);
    expect((await store.listByRun(runId)).map((a) => a.id)).toEqual([first.id, second.id]);
    // Sizes beyond 32 bits and epoch-ms times come back as numbers on both drivers.
    expect(await store.get(first.id)).toEqual(first);
    expect((await store.byUpload(runId, upload))?.id).toBe(first.id);
    expect((await store.olderThan(2000, 10)).map((a) => a.createdAt)).toEqual([1000, 1500]);
    expect((await store.olderThan(2000, 1)).map((a) => a.id)).toEqual([first.id]);
    expect(await store.remove(first.id)).toBe(true);
    expect(await store.remove(first.id)).toBe(false);
    expect(await store.count()).toBe(2);
  });
});
