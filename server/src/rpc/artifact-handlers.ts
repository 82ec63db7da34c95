import type { ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DownloadArtifactResponseSchema, RunService } from "../gen/flightcontrol/v1/run_pb";
import type { Artifacts } from "../domain/artifacts/artifacts";
import { artifactToProto } from "./convert-artifact";
import { workspaceOf } from "./interceptors/auth";

export interface ArtifactHandlersDeps {
  artifacts: Artifacts;
}

/** Chunks of a download: small enough to interleave with other streams, big enough to be cheap. */
const CHUNK_BYTES = 256 * 1024;

/** RunService's artifact methods: the listing of a run, and one artifact's bytes as a stream. */
export function artifactHandlers(app: ArtifactHandlersDeps): Pick<ServiceImpl<typeof RunService>, "listArtifacts" | "downloadArtifact"> {
  return {
    async listArtifacts(req, ctx) {
      return { artifacts: (await app.artifacts.list(workspaceOf(ctx), req.runId)).map(artifactToProto) };
    },

    async *downloadArtifact(req, ctx): AsyncGenerator<MessageInitShape<typeof DownloadArtifactResponseSchema>> {
      const { body } = await app.artifacts.open(workspaceOf(ctx), req.id);
      const stop = () => body.destroy();
      ctx.signal.addEventListener("abort", stop);
      try {
        for await (const piece of body as AsyncIterable<Buffer>) {
          for (let i = 0; i < piece.length; i += CHUNK_BYTES) yield { chunk: piece.subarray(i, i + CHUNK_BYTES) };
        }
      } finally {
        ctx.signal.removeEventListener("abort", stop);
        body.destroy();
      }
    },
  };
}
