import { create } from "@bufbuild/protobuf";
import { ArtifactSchema, type Artifact } from "../gen/flightcontrol/v1/artifact_pb";
import { kindFromColumn } from "../domain/artifacts/kinds";
import type { ArtifactRow } from "../storage/entities";
import { ts } from "./convert";

export const artifactToProto = (row: ArtifactRow): Artifact =>
  create(ArtifactSchema, {
    id: row.id,
    runId: row.runId,
    name: row.name,
    sizeBytes: BigInt(row.sizeBytes),
    sha256: row.sha256,
    contentType: row.contentType,
    kind: kindFromColumn(row.kind),
    createTime: ts(row.createdAt),
  });
