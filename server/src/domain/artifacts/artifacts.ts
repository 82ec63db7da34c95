import type { Readable } from "node:stream";
import type { ArtifactStore } from "../../storage/artifact-store";
import type { BlobStore } from "../../storage/blobs/blob-store";
import type { ArtifactRow } from "../../storage/entities";
import type { RunStore } from "../../storage/run-store";
import { notFound, permissionDenied } from "../errors";

export interface ArtifactsDeps {
  store: ArtifactStore;
  blobs: BlobStore;
  runs: Pick<RunStore, "getIn" | "followUpHeldByKey">;
}

/** What a follow-up's worker fetches of its parent: the diff it applies and the session it resumes. */
const FOLLOW_UP_KINDS: ReadonlySet<string> = new Set(["changes", "session"]);

/**
 * Reading the artifacts runs kept: the listing of a run, and one artifact's bytes. An artifact has
 * no workspace of its own: it is in its run's, and one of another workspace is NotFound.
 */
export function createArtifacts(deps: ArtifactsDeps) {
  const { store, blobs } = deps;

  async function bytesOf(artifact: ArtifactRow): Promise<Readable> {
    const body = await blobs.get(artifact.id);
    // A row without its blob: retention removed the blob and had not removed the row yet.
    if (!body) throw notFound("artifact", artifact.id);
    return body;
  }

  return {
    /** A run's artifacts, oldest first; agent session state is internal and not listed. */
    async list(ws: string, runId: string): Promise<ArtifactRow[]> {
      if (!(await deps.runs.getIn(ws, runId))) throw notFound("run", runId);
      return (await store.listByRun(runId)).filter((a) => a.kind !== "session");
    },

    /** The artifact's metadata and a stream of its bytes. */
    async open(ws: string, id: string): Promise<{ artifact: ArtifactRow; body: Readable }> {
      const artifact = await store.get(id);
      if (!artifact || artifact.kind === "session" || !(await deps.runs.getIn(ws, artifact.runId))) throw notFound("artifact", id);
      return { artifact, body: await bytesOf(artifact) };
    },

    /**
     * open() for a worker key: only the changes.diff or agent session of a run whose follow-up a
     * worker connected with that key holds right now (it needs them to start the follow-up).
     * Anything else is refused as the role table refuses a worker key everywhere else.
     */
    async openForWorker(id: string, apiKeyId: string): Promise<{ artifact: ArtifactRow; body: Readable }> {
      const artifact = await store.get(id);
      const allowed = artifact && FOLLOW_UP_KINDS.has(artifact.kind) && (await deps.runs.followUpHeldByKey(artifact.runId, apiKeyId));
      if (!artifact || !allowed) {
        throw permissionDenied(
          "a worker key may download only the changes.diff and agent session of the parent of a run its worker holds; use a viewer key for anything else",
        );
      }
      return { artifact, body: await bytesOf(artifact) };
    },
  };
}

export type Artifacts = ReturnType<typeof createArtifacts>;
