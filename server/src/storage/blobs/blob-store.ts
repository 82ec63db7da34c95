import type { Readable } from "node:stream";

/**
 * Where artifact bytes live, behind one small interface: the filesystem under the data directory
 * (fs-blob-store.ts) or an S3-compatible bucket (s3-blob-store.ts). Keys are artifact ids. A blob
 * is written whole or not at all: readers never see a partly written one.
 */
export interface BlobStore {
  /** What the store is, for the startup log (no secrets). */
  readonly description: string;
  /** Stores the local file `tempPath` under `key` and consumes it (moved or deleted). */
  put(key: string, tempPath: string): Promise<void>;
  /** The blob's bytes, or null if there is no such blob. */
  get(key: string): Promise<Readable | null>;
  /** Removes the blob; a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** The blob's size, or null if there is no such blob. */
  stat(key: string): Promise<{ size: number } | null>;
}

/** Keys become file names and object keys: only ids, never a path. */
export function assertBlobKey(key: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(key)) throw new Error(`not a valid blob key: ${JSON.stringify(key)}`);
}
