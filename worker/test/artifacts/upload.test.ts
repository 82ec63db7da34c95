import { createHash, randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { StagedArtifact } from "../../src/artifacts/collect";
import { createArtifactUploader } from "../../src/artifacts/upload";
import { ArtifactKind } from "../../src/gen/flightcontrol/v1/artifact_pb";
import type { ArtifactChunkSchema } from "../../src/gen/flightcontrol/v1/worker_pb";

type Chunk = MessageInitShape<typeof ArtifactChunkSchema>;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function staged(bytes: Buffer, name: string): StagedArtifact {
  const dir = mkdtempSync(join(tmpdir(), "fc-upload-"));
  dirs.push(dir);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return {
    id: randomUUID(),
    path,
    name,
    kind: ArtifactKind.FILE,
    contentType: "application/octet-stream",
    sizeBytes: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

/** An uploader over a fake stream; `connected` false makes sends fail as with no stream. */
function uploader() {
  const sent: Chunk[] = [];
  const state = { connected: true, beat: 1n, drained: 0, refused: [] as string[] };
  const up = createArtifactUploader({
    runId: "r1",
    attempt: 1,
    chunkBytes: 4,
    send: (c) => {
      if (!state.connected) return false;
      sent.push(c);
      return true;
    },
    backlog: () => 0,
    nextBeat: () => state.beat,
    refused: (name, error) => state.refused.push(`${name}: ${error}`),
    onDrained: () => state.drained++,
  });
  /** What a server would rebuild from the chunks sent since `from`, per artifact id. */
  const rebuilt = (from = 0) => {
    const files = new Map<string, Buffer>();
    for (const c of sent.slice(from)) {
      const prev = c.offset === 0n ? Buffer.alloc(0) : files.get(c.artifactId!)!;
      expect(Number(c.offset)).toBe(prev.length);
      files.set(c.artifactId!, Buffer.concat([prev, Buffer.from(c.data!)]));
    }
    return files;
  };
  return { up, sent, state, rebuilt };
}

describe("artifact uploader", () => {
  it("sends each artifact as ordered chunks, the last with size and sha256; drained once every one is acknowledged", async () => {
    const { up, sent, state, rebuilt } = uploader();
    const a = staged(Buffer.from("0123456789"), "a");
    const b = staged(Buffer.alloc(0), "b");
    up.add([a, b]);
    await vi.waitFor(() => expect(sent.filter((c) => c.last)).toHaveLength(2));
    expect(sent.filter((c) => c.artifactId === a.id).map((c) => Number(c.offset))).toEqual([0, 4, 8]);
    const last = sent.find((c) => c.artifactId === a.id && c.last)!;
    expect(last).toMatchObject({ sizeBytes: 10n, sha256: a.sha256, runId: "r1", attempt: 1, name: "a" });
    expect(sent.filter((c) => c.artifactId === b.id)).toHaveLength(1);
    expect(rebuilt().get(a.id)!.toString()).toBe("0123456789");
    up.ack(a.id, true, "");
    expect(state.drained).toBe(0);
    expect(up.drained).toBe(false);
    up.ack(b.id, true, "");
    expect(state.drained).toBe(1);
    expect(up.drained).toBe(true);
    // Acknowledged staged copies are deleted.
    await vi.waitFor(() => expect(existsSync(a.path) || existsSync(b.path)).toBe(false));
  });

  it("with no artifacts is drained at once", () => {
    const { up, state } = uploader();
    up.add([]);
    expect(state.drained).toBe(1);
  });

  it("after a reconnect sends every unacknowledged artifact again from offset 0", async () => {
    const { up, sent, state, rebuilt } = uploader();
    const a = staged(randomBytes(9), "a");
    state.connected = false;
    up.add([a]);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(0);
    state.connected = true;
    up.resend();
    await vi.waitFor(() => expect(sent.some((c) => c.last)).toBe(true));
    const from = sent.length;
    up.resend();
    await vi.waitFor(() => expect(sent.slice(from).some((c) => c.last)).toBe(true));
    expect(sent[from].offset).toBe(0n);
    expect(rebuilt(from).get(a.id)).toEqual(readFileSync(a.path));
  });

  it("resends an artifact whose last chunk went out before an acknowledged heartbeat, and only then", async () => {
    const { up, sent, state } = uploader();
    const a = staged(Buffer.from("abc"), "a");
    up.add([a]);
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    // Heartbeat 0 went out before the chunk: its ack says nothing about it.
    up.heartbeatAcked(0n);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(1);
    state.beat++;
    up.heartbeatAcked(1n);
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1]).toMatchObject({ offset: 0n, last: true, artifactId: a.id });
  });

  it("reports a refused artifact and does not send it again", async () => {
    const { up, sent, state } = uploader();
    const a = staged(Buffer.from("abc"), "a.txt");
    up.add([a]);
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    up.ack(a.id, false, "no such run");
    expect(state.refused).toEqual(["a.txt: no such run"]);
    expect(state.drained).toBe(1);
    up.resend();
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(1);
  });
});
