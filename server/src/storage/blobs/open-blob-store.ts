import { join } from "node:path";
import type { ArtifactSettings } from "../../config";
import type { BlobStore } from "./blob-store";
import { createFsBlobStore } from "./fs-blob-store";

/**
 * The blob store ORCH_ARTIFACT_STORE names: files under `root` (<dataDir>/artifacts), or an S3 bucket.
 * The AWS SDK is loaded only when S3 is configured: it is a large module graph most installs never use.
 */
export async function openBlobStore(settings: ArtifactSettings, root: string): Promise<BlobStore> {
  const s = settings.store;
  if (s.kind !== "s3") return createFsBlobStore(root);
  const { createS3BlobStore } = await import("./s3-blob-store");
  return createS3BlobStore(s);
}

/** Uploads in progress: local disk under the artifacts folder, whichever store keeps the blobs. */
export const incomingDir = (root: string) => join(root, "incoming");
