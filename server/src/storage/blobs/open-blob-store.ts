import { join } from "node:path";
import type { ArtifactSettings } from "../../config";
import type { BlobStore } from "./blob-store";
import { createFsBlobStore } from "./fs-blob-store";
import { createS3BlobStore } from "./s3-blob-store";

/** The blob store ORCH_ARTIFACT_STORE names: files under `root` (<dataDir>/artifacts), or an S3 bucket. */
export function openBlobStore(settings: ArtifactSettings, root: string): BlobStore {
  const s = settings.store;
  return s.kind === "s3" ? createS3BlobStore(s) : createFsBlobStore(root);
}

/** Uploads in progress: local disk under the artifacts folder, whichever store keeps the blobs. */
export const incomingDir = (root: string) => join(root, "incoming");
