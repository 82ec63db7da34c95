import { createHash, randomUUID, type Hash } from "node:crypto";
import { mkdir, open, readdir, rm, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { ArtifactChunk } from "../../gen/flightcontrol/v1/worker_pb";
import type { Logger } from "../../logger";
import type { ArtifactStore } from "../../storage/artifact-store";
import type { BlobStore } from "../../storage/blobs/blob-store";
import { systemClock, type Clock } from "../clock";
import { newId } from "../ids";
import { kindToColumn } from "./kinds";

export interface ArtifactUploadsDeps {
  store: ArtifactStore;
  blobs: BlobStore;
  /** Local folder for uploads in progress. */
  tempDir: string;
  log: Logger;
  clock?: Clock;
}

/** What to tell the worker about an upload: stored (or already was), or refused for good with why. */
export interface UploadOutcome {
  runId: string;
  artifactId: string;
  stored: boolean;
  error: string;
}

interface Upload {
  runId: string;
  tempPath: string;
  file: FileHandle;
  written: number;
  hash: Hash;
}

/**
 * Artifact uploads from workers (worker.proto ArtifactChunk). Chunks of an upload arrive in order
 * from offset 0 and are written to a temp file with a running SHA-256; the last one is checked
 * against the size and hash the worker computed, then the blob is committed and the row inserted
 * once per (run, upload id). A resent upload (after a reconnect) starts over at offset 0 and
 * replaces the partial one; one already stored is acknowledged without being stored again.
 *
 * Uploads belong to the session that sends them (`owner`): when it ends, its partial files go.
 * Whether the session holds the run is checked by the worker protocol before a chunk gets here.
 */
export function createArtifactUploads(deps: ArtifactUploadsDeps) {
  const { store, blobs, log } = deps;
  const clock = deps.clock ?? systemClock;
  const inProgress = new WeakMap<object, Map<string, Upload>>();
  /**
   * Sessions that ended. A chunk still being received when its session closes (its temp file being
   * opened or written) sees this after its await and discards its file: closed() cannot, the file
   * was not in the session's map yet.
   */
  const ended = new WeakSet<object>();
  let tempReady: Promise<unknown> | undefined;

  const uploadsOf = (owner: object) => {
    let m = inProgress.get(owner);
    if (!m) inProgress.set(owner, (m = new Map()));
    return m;
  };

  async function discard(u: Upload) {
    await u.file.close().catch(() => undefined);
    await rm(u.tempPath, { force: true });
  }

  async function start(c: ArtifactChunk): Promise<Upload> {
    tempReady ??= mkdir(deps.tempDir, { recursive: true });
    await tempReady;
    const tempPath = join(deps.tempDir, `${randomUUID()}.part`);
    return { runId: c.runId, tempPath, file: await open(tempPath, "w"), written: 0, hash: createHash("sha256") };
  }

  const refused = (c: ArtifactChunk, error: string): UploadOutcome => ({ runId: c.runId, artifactId: c.artifactId, stored: false, error });

  async function commit(c: ArtifactChunk, u: Upload): Promise<UploadOutcome> {
    await u.file.close();
    const sha256 = u.hash.digest("hex");
    if (BigInt(u.written) !== c.sizeBytes || sha256 !== c.sha256) {
      await rm(u.tempPath, { force: true });
      log.warn(
        { runId: c.runId, artifactId: c.artifactId, name: c.name, received: u.written, sizeBytes: Number(c.sizeBytes) },
        "refused an artifact whose size or sha256 does not match what the worker sent",
      );
      return refused(
        c,
        `artifact "${c.name}" arrived as ${u.written} bytes with sha256 ${sha256}, not the ${c.sizeBytes} bytes and sha256 ${c.sha256} the worker announced`,
      );
    }
    if (await store.byUpload(c.runId, c.artifactId)) {
      // Stored before; the acknowledgement was lost with the connection.
      await rm(u.tempPath, { force: true });
      return { runId: c.runId, artifactId: c.artifactId, stored: true, error: "" };
    }
    const id = newId(clock.now());
    await blobs.put(id, u.tempPath);
    const inserted = await store
      .insertOnce({
        id,
        runId: c.runId,
        uploadId: c.artifactId,
        name: c.name,
        sizeBytes: u.written,
        sha256,
        contentType: c.contentType || "application/octet-stream",
        kind: kindToColumn(c.kind) ?? "file",
        createdAt: clock.now(),
      })
      .catch(async (err) => {
        await blobs.delete(id).catch(() => undefined);
        throw err;
      });
    if (!inserted) await blobs.delete(id);
    else log.info({ runId: c.runId, artifactId: id, name: c.name, sizeBytes: u.written }, "stored an artifact");
    return { runId: c.runId, artifactId: c.artifactId, stored: true, error: "" };
  }

  return {
    /**
     * One chunk from `owner`'s session. Returns what to acknowledge once the upload is complete,
     * undefined while it is not. Throws if the file could not be stored: nothing is acknowledged
     * and the worker sends the artifact again.
     */
    async receive(owner: object, c: ArtifactChunk): Promise<UploadOutcome | undefined> {
      if (kindToColumn(c.kind) === undefined) return refused(c, `artifact kind ${c.kind} is not one this server knows`);
      if (ended.has(owner)) return undefined;
      const uploads = uploadsOf(owner);
      let u = uploads.get(c.artifactId);
      if (c.offset === 0n) {
        // A fresh start: the worker resent this artifact from the beginning.
        if (u) await discard(u);
        u = await start(c);
        if (ended.has(owner)) {
          await discard(u);
          return undefined;
        }
        uploads.set(c.artifactId, u);
      } else if (!u || BigInt(u.written) !== c.offset || u.runId !== c.runId) {
        // A chunk without its predecessors: the upload's start was lost (or it was refused). The
        // worker sends the artifact from offset 0 again after a reconnect.
        if (u) await discard(u);
        uploads.delete(c.artifactId);
        log.warn(
          { runId: c.runId, artifactId: c.artifactId, offset: Number(c.offset), expected: u?.written ?? 0 },
          "ignored an artifact chunk out of order",
        );
        return undefined;
      }
      try {
        await u.file.write(c.data);
        u.hash.update(c.data);
        u.written += c.data.length;
        // The session closed during the write: closed() discarded this upload; nobody would get the ack.
        if (ended.has(owner)) return undefined;
        if (!c.last) return undefined;
        uploads.delete(c.artifactId);
        return await commit(c, u);
      } catch (err) {
        uploads.delete(c.artifactId);
        await discard(u);
        // A write into the file closed() just discarded: the session is gone, not the store.
        if (ended.has(owner)) return undefined;
        throw err;
      }
    },

    /**
     * Deletes partial uploads nobody writes to any more: left by a server that stopped mid-upload
     * (a live upload's file changes with every chunk). Run at start. Returns how many.
     */
    async sweepStale(idleMs = 60 * 60 * 1000): Promise<number> {
      const names = await readdir(deps.tempDir).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return [] as string[];
        throw err;
      });
      let removed = 0;
      for (const name of names) {
        const path = join(deps.tempDir, name);
        const info = await stat(path).catch(() => undefined);
        if (info && clock.now() - info.mtimeMs > idleMs) {
          await rm(path, { force: true });
          removed++;
        }
      }
      if (removed) log.info({ removed, dir: deps.tempDir }, "deleted partial artifact uploads left by an earlier run of the server");
      return removed;
    },

    /** The session ended: its partial uploads are gone (the worker resends them whole). */
    async closed(owner: object): Promise<void> {
      ended.add(owner);
      const uploads = inProgress.get(owner);
      inProgress.delete(owner);
      for (const u of uploads?.values() ?? []) await discard(u);
    },
  };
}

export type ArtifactUploads = ReturnType<typeof createArtifactUploads>;
