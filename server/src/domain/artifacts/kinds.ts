import { ArtifactKind } from "../../gen/flightcontrol/v1/artifact_pb";
import type { ArtifactKindColumn } from "../../storage/entities";

const toColumn: Partial<Record<ArtifactKind, ArtifactKindColumn>> = {
  [ArtifactKind.CHANGES]: "changes",
  [ArtifactKind.FILE]: "file",
  [ArtifactKind.SESSION]: "session",
};

/** The stored kind of a protocol kind; undefined for one this server does not know. */
export const kindToColumn = (kind: ArtifactKind): ArtifactKindColumn | undefined => toColumn[kind];

export const kindFromColumn = (kind: ArtifactKindColumn): ArtifactKind =>
  kind === "changes" ? ArtifactKind.CHANGES : kind === "session" ? ArtifactKind.SESSION : ArtifactKind.FILE;
