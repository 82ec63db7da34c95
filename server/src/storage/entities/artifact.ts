import { EntitySchema } from "typeorm";
import { epochMs, id, ref, str } from "../columns";

/** What an artifact is: the run's diff, a collected file, or agent session state (hidden from lists). */
export type ArtifactKindColumn = "changes" | "file" | "session";

export interface ArtifactRow {
  /** Server-chosen (UUIDv7); also the blob's key in the blob store. */
  id: string;
  runId: string;
  /** The worker's id for the upload: a resent upload of the same (run, upload) is stored once. */
  uploadId: string;
  /** Path relative to the run's workspace. */
  name: string;
  sizeBytes: number;
  /** Lowercase hex SHA-256. */
  sha256: string;
  contentType: string;
  kind: ArtifactKindColumn;
  createdAt: number;
}

export const ArtifactEntity = new EntitySchema<ArtifactRow>({
  name: "Artifact",
  tableName: "artifacts",
  columns: {
    id: id(),
    runId: { ...ref(false), name: "run_id" },
    uploadId: { ...ref(false), name: "upload_id" },
    name: str(1024),
    // bigint read back as a number on both drivers, like the epoch-ms columns.
    sizeBytes: { ...epochMs(), name: "size_bytes" },
    sha256: str(64),
    contentType: { ...str(255), name: "content_type" },
    kind: str(16),
    createdAt: { ...epochMs(), name: "created_at" },
  },
  indices: [
    // The idempotency key of an upload, and the run's artifacts in order.
    { name: "idx_artifacts_upload", columns: ["runId", "uploadId"], unique: true },
    // Retention deletes the oldest first.
    { name: "idx_artifacts_created", columns: ["createdAt"] },
  ],
});
