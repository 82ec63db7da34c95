import type { Readable } from "node:stream";
import type { ArtifactStore } from "../../storage/artifact-store";
import type { BlobStore } from "../../storage/blobs/blob-store";
import type { ArtifactRow } from "../../storage/entities";
import type { RunStore } from "../../storage/run-store";
import { notFound } from "../errors";

export interface ArtifactsDeps {
  store: ArtifactStore;
  blobs: BlobStore;
  runs: Pick<RunStore, "get">;
}

/** Reading the artifacts runs kept: the listing of a run, and one artifact's bytes. */
export function createArtifacts(deps: ArtifactsDeps) {
  const { store, blobs } = deps;

  return {
    /** A run's artifacts, oldest first; agent session state is internal and not listed. */
    async list(runId: string): Promise<ArtifactRow[]> {
      if (!(await deps.runs.get(runId))) throw notFound("run", runId);
      return (await store.listByRun(runId)).filter((a) => a.kind !== "session");
    },

    /** The artifact's metadata and a stream of its bytes. */
    async open(id: string): Promise<{ artifact: ArtifactRow; body: Readable }> {
      const artifact = await store.get(id);
      if (!artifact || artifact.kind === "session") throw notFound("artifact", id);
      const body = await blobs.get(id);
      // A row without its blob: retention removed the blob and had not removed the row yet.
      if (!body) throw notFound("artifact", id);
      return { artifact, body };
    },
  };
}

export type Artifacts = ReturnType<typeof createArtifacts>;
