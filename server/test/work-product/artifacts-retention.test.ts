// Retention: one timer prunes artifacts older than ORCH_ARTIFACT_RETENTION_DAYS, blob and row; 0
// keeps them forever. The store is the server's real one (SQLite); time is a fake clock.
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArtifactRetention } from "../../src/domain/artifacts/artifact-retention";
import { newId } from "../../src/domain/ids";
import { createFsBlobStore } from "../../src/storage/blobs/fs-blob-store";
import { fakeClock } from "../../../testkit/fake-clock";
import { tempDir } from "../../../testkit/temp-dir";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 0, 31);
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

/** Stores an artifact created `ageDays` before NOW, blob and row. */
async function artifact(blobs: ReturnType<typeof createFsBlobStore>, ageDays: number): Promise<string> {
  const id = newId(NOW - ageDays * DAY);
  const temp = join(tempDir("fc-retention-"), "blob");
  writeFileSync(temp, `artifact aged ${ageDays} days`);
  await blobs.put(id, temp);
  await server.app.artifactStore.insertOnce({
    id,
    runId: randomUUID(),
    uploadId: randomUUID(),
    name: `${ageDays}.txt`,
    sizeBytes: 10,
    sha256: "0".repeat(64),
    contentType: "text/plain",
    kind: "file",
    createdAt: NOW - ageDays * DAY,
  });
  return id;
}

describe("artifact retention", () => {
  it("prunes artifacts past the retention, blob and row, on its timer; keeps newer ones", async () => {
    const blobs = createFsBlobStore(tempDir("fc-retention-blobs-"));
    const clock = fakeClock(NOW);
    const old = await artifact(blobs, 31);
    const recent = await artifact(blobs, 29);
    const retention = createArtifactRetention({
      store: server.app.artifactStore,
      blobs,
      retentionDays: 30,
      log: pino({ level: "silent" }),
      clock,
      intervalMs: 60_000,
    });
    retention.start();
    try {
      // The first prune runs at start.
      await waitFor(async () => !(await server.app.artifactStore.get(old)), { what: "the old artifact's row to go" });
      expect(await blobs.stat(old)).toBeNull();
      expect(await server.app.artifactStore.get(recent)).not.toBeNull();
      expect(await blobs.stat(recent)).not.toBeNull();
      // Two days later, on the timer, the other one ages out too.
      expect(clock.timers).toHaveLength(1);
      clock.set(NOW + 2 * DAY);
      await clock.advance(60_000);
      await waitFor(async () => !(await server.app.artifactStore.get(recent)), { what: "the second artifact to age out" });
      expect(await blobs.stat(recent)).toBeNull();
    } finally {
      retention.stop();
    }
    expect(clock.timers).toHaveLength(0);
  });

  it("keeps everything with 0 days, and arms no timer", async () => {
    const blobs = createFsBlobStore(tempDir("fc-retention-blobs-"));
    const clock = fakeClock(NOW);
    const ancient = await artifact(blobs, 3650);
    const retention = createArtifactRetention({ store: server.app.artifactStore, blobs, retentionDays: 0, log: pino({ level: "silent" }), clock });
    retention.start();
    expect(clock.timers).toHaveLength(0);
    expect(await retention.prune()).toBe(0);
    expect(await server.app.artifactStore.get(ancient)).not.toBeNull();
    expect(await blobs.stat(ancient)).not.toBeNull();
  });
});
