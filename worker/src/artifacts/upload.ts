import type { MessageInitShape } from "@bufbuild/protobuf";
import { rm } from "node:fs/promises";
import type { ArtifactChunkSchema } from "../gen/flightcontrol/v1/worker_pb";
import { readChunk, type StagedArtifact } from "./collect";

type ChunkInit = MessageInitShape<typeof ArtifactChunkSchema>;

export interface UploaderOptions {
  runId: string;
  attempt: number;
  /** Sends a chunk if connected; false when there is no stream right now. */
  send(chunk: ChunkInit): boolean;
  /** Messages queued on the stream and not yet written: chunks wait while it is high. */
  backlog(): number;
  /** Seq of the next heartbeat to be sent (see run-log.ts on overdue messages). */
  nextBeat(): bigint;
  /** The server refused an artifact for good: a line for the worker's log. */
  refused(name: string, error: string): void;
  /** Every artifact is acknowledged: the run's finish may go. */
  onDrained(): void;
  chunkBytes?: number;
}

interface Pending {
  artifact: StagedArtifact;
  /** Every chunk went out on the current stream; waiting for the ack. */
  sent: boolean;
  /** The heartbeat that followed the last chunk's sending. */
  beat: bigint;
}

export const ARTIFACT_CHUNK_BYTES = 256 * 1024;
/** Queued messages beyond which the uploader waits: a 50 MiB file must not sit in memory as chunks. */
const MAX_BACKLOG = 8;
const BACKLOG_WAIT_MS = 5;

/**
 * One run's artifacts on their way to the server, like its log batches (run-log.ts): each staged
 * file is sent as chunks from offset 0, kept until the server acknowledges it, and sent again from
 * offset 0 after a reconnect, or when a heartbeat sent after its last chunk is acknowledged without
 * it (the server could not store it). The server stores each (run, artifact id) once.
 */
export function createArtifactUploader(opts: UploaderOptions) {
  const chunkBytes = opts.chunkBytes ?? ARTIFACT_CHUNK_BYTES;
  const pending: Pending[] = [];
  /** Bumped by resend(): a pump sending on an older stream stops and starts over. */
  let generation = 0;
  let pumping = false;
  let disposed = false;

  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Sends one artifact whole; false if the stream went away or a resend started meanwhile. */
  async function sendFile(p: Pending, gen: number): Promise<boolean> {
    const a = p.artifact;
    let offset = 0;
    for (;;) {
      // The send queue has no drain callback; a short wait while it is full keeps memory flat.
      while (opts.backlog() > MAX_BACKLOG && gen === generation && !disposed) await wait(BACKLOG_WAIT_MS);
      const data = await readChunk(a.path, offset, chunkBytes);
      if (gen !== generation || disposed) return false;
      const last = offset + data.length >= a.sizeBytes;
      const ok = opts.send({
        runId: opts.runId,
        attempt: opts.attempt,
        artifactId: a.id,
        name: a.name,
        kind: a.kind,
        contentType: a.contentType,
        offset: BigInt(offset),
        data,
        last,
        sizeBytes: last ? BigInt(a.sizeBytes) : 0n,
        sha256: last ? a.sha256 : "",
      });
      if (!ok) return false;
      if (last) return true;
      offset += data.length;
    }
  }

  async function pump() {
    if (pumping) return;
    pumping = true;
    try {
      for (;;) {
        const next = pending.find((p) => !p.sent);
        if (!next || disposed) return;
        const gen = generation;
        if (await sendFile(next, gen)) {
          next.sent = true;
          next.beat = opts.nextBeat();
        } else if (gen === generation) return; // no stream: resend() starts again after the reconnect
      }
    } finally {
      pumping = false;
    }
  }

  const kick = () =>
    void pump().catch((err: unknown) => {
      // A staged file that cannot be read cannot be sent: drop it rather than hold the run's finish forever.
      const p = pending.find((x) => !x.sent);
      if (p) settle(p.artifact.id, false, `could not read the staged file: ${(err as Error).message}`);
    });

  function settle(id: string, stored: boolean, error: string) {
    const i = pending.findIndex((p) => p.artifact.id === id);
    if (i < 0) return;
    const [p] = pending.splice(i, 1);
    if (!stored) opts.refused(p.artifact.name, error);
    void rm(p.artifact.path, { force: true });
    if (!pending.length) opts.onDrained();
    else kick();
  }

  return {
    /** Starts uploading these; onDrained fires at once if there are none. */
    add(artifacts: StagedArtifact[]) {
      for (const artifact of artifacts) pending.push({ artifact, sent: false, beat: 0n });
      if (!pending.length) opts.onDrained();
      else kick();
    },
    ack: (artifactId: string, stored: boolean, error: string) => settle(artifactId, stored, error),
    /** Heartbeat `beat` was acknowledged: an artifact whose last chunk went out before it was not stored; send it again. */
    heartbeatAcked(beat: bigint) {
      const p = pending.find((x) => x.sent);
      if (p && p.beat <= beat) {
        p.sent = false;
        kick();
      }
    },
    /** After a reconnect: everything unacknowledged again, from offset 0. */
    resend() {
      generation++;
      for (const p of pending) p.sent = false;
      kick();
    },
    get drained() {
      return pending.length === 0;
    },
    dispose() {
      disposed = true;
      generation++;
      for (const p of pending) void rm(p.artifact.path, { force: true });
      pending.length = 0;
    },
  };
}

export type ArtifactUploader = ReturnType<typeof createArtifactUploader>;
