// The blob store contract, run against both stores: the filesystem one and the S3 one (against
// s3rver, an S3-compatible server in-process, path-style in us-east-1 as a self-hosted store is).
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlobStore } from "../../src/storage/blobs/blob-store";
import { createFsBlobStore } from "../../src/storage/blobs/fs-blob-store";
import { createS3BlobStore } from "../../src/storage/blobs/s3-blob-store";
import { tempDir } from "../../../testkit/temp-dir";

const BUCKET = "artifacts-test";
let s3: S3rver;
let s3Endpoint = "";
const scratch = tempDir("fc-blob-contract-");

beforeAll(async () => {
  s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: tempDir("fc-s3rver-"),
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const { port } = await s3.run();
  s3Endpoint = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await s3?.close();
});

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of r) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

const tempFile = (bytes: Buffer) => {
  const path = join(scratch, randomUUID());
  writeFileSync(path, bytes);
  return path;
};
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

const stores: Array<[string, () => BlobStore]> = [
  ["filesystem", () => createFsBlobStore(tempDir("fc-blobs-"))],
  [
    "s3 (s3rver)",
    () =>
      createS3BlobStore({
        bucket: BUCKET,
        prefix: `run-${randomUUID()}/`,
        endpoint: s3Endpoint,
        region: "us-east-1",
        accessKeyId: "S3RVER",
        secretAccessKey: "S3RVER",
        forcePathStyle: true,
      }),
  ],
];

describe.each(stores)("blob store contract: %s", (_name, make) => {
  it("stores a multi-megabyte file byte for byte, consumes the temp file, and reports its size", async () => {
    const store = make();
    // Larger than lib-storage's 5 MiB part: the S3 store goes multipart.
    const bytes = randomBytes(6 * 1024 * 1024 + 123);
    const path = tempFile(bytes);
    const key = randomUUID();
    await store.put(key, path);
    expect(readdirSync(scratch)).not.toContain(path.split("/").pop());
    expect(await store.stat(key)).toEqual({ size: bytes.length });
    const back = await readAll((await store.get(key))!);
    expect(sha(back)).toBe(sha(bytes));
  });

  it("stores an empty file", async () => {
    const store = make();
    const key = randomUUID();
    await store.put(key, tempFile(Buffer.alloc(0)));
    expect((await readAll((await store.get(key))!)).length).toBe(0);
  });

  it("answers null for a missing blob, deletes, and deleting again is no error", async () => {
    const store = make();
    const key = randomUUID();
    expect(await store.get(key)).toBeNull();
    expect(await store.stat(key)).toBeNull();
    await store.put(key, tempFile(Buffer.from("hello")));
    await store.delete(key);
    expect(await store.get(key)).toBeNull();
    expect(await store.stat(key)).toBeNull();
    await store.delete(key);
  });

  it("refuses a key that could name a path", async () => {
    const store = make();
    await expect(store.put("../escape", tempFile(Buffer.from("x")))).rejects.toThrow(/not a valid blob key/);
    await expect(store.get("a/b")).rejects.toThrow(/not a valid blob key/);
  });
});
