import type { ArtifactSettings } from "../../config";
import type { BlobStore } from "./blob-store";
import { createFsBlobStore } from "./fs-blob-store";
import { createS3BlobStore } from "./s3-blob-store";

/** The blob store ORCH_ARTIFACT_STORE names: files under the data directory, or an S3 bucket. */
export function openBlobStore(settings: ArtifactSettings): BlobStore {
  const s = settings.store;
  return s.kind === "s3" ? createS3BlobStore(s) : createFsBlobStore(s.root);
}
