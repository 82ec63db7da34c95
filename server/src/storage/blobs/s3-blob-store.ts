import { createReadStream } from "node:fs";
import { unlink } from "node:fs/promises";
import { Readable } from "node:stream";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { assertBlobKey, type BlobStore } from "./blob-store";

export interface S3BlobStoreOptions {
  bucket: string;
  /** Prepended to every key ("" or ending in "/"). */
  prefix: string;
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** bucket in the path (MinIO, s3rver, most self-hosted stores) rather than in the host name. */
  forcePathStyle: boolean;
}

/**
 * Blobs as objects in an S3-compatible bucket (ORCH_ARTIFACT_STORE=s3://bucket/prefix). Puts go
 * through lib-storage's Upload: multipart for large files, so an object appears whole or not at
 * all. Without explicit keys the SDK's default chain (environment, instance role) applies.
 */
export function createS3BlobStore(opts: S3BlobStoreOptions): BlobStore {
  const client = new S3Client({
    region: opts.region,
    endpoint: opts.endpoint,
    forcePathStyle: opts.forcePathStyle,
    // Checksums only where S3 requires them: many S3-compatible stores (older MinIO, Ceph, s3rver)
    // reject the CRC32 trailers the SDK otherwise adds to every upload since 2025.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    credentials: opts.accessKeyId && opts.secretAccessKey ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey } : undefined,
  });
  const keyOf = (key: string) => {
    assertBlobKey(key);
    return `${opts.prefix}${key}`;
  };
  const missing = (err: unknown) =>
    err instanceof NoSuchKey || err instanceof NotFound || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

  return {
    description: `s3://${opts.bucket}/${opts.prefix}${opts.endpoint ? ` at ${opts.endpoint}` : ""}`,

    async put(key, tempPath) {
      const upload = new Upload({ client, params: { Bucket: opts.bucket, Key: keyOf(key), Body: createReadStream(tempPath) } });
      await upload.done();
      await unlink(tempPath);
    },

    async get(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: opts.bucket, Key: keyOf(key) }));
        return res.Body instanceof Readable ? res.Body : Readable.fromWeb(res.Body!.transformToWebStream() as never);
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: opts.bucket, Key: keyOf(key) }));
    },

    async stat(key) {
      try {
        const res = await client.send(new HeadObjectCommand({ Bucket: opts.bucket, Key: keyOf(key) }));
        return { size: Number(res.ContentLength ?? 0) };
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },
  };
}
