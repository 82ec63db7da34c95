import { useQuery } from "@tanstack/react-query";
import type { Artifact } from "../gen/flightcontrol/v1/artifact_pb";
import { fetchArtifact } from "../lib/artifact-fetch";

// An artifact never changes once stored (its sha256 is its ETag), so its bytes are cached by id for
// as long as the page keeps them; the artifact's size is checked against a limit before this is enabled.

/** An artifact's bytes as text (UTF-8), fetched with the signed-in key when `enabled`. */
export function useArtifactText(artifact: Pick<Artifact, "id"> | undefined, enabled = true) {
  return useQuery({
    queryKey: ["artifact-text", artifact?.id],
    queryFn: async ({ signal }) => (await fetchArtifact(artifact!.id, { signal })).text(),
    enabled: enabled && !!artifact,
    staleTime: Infinity,
    retry: false,
  });
}

/** Reads a blob as a data: URL. */
function dataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("could not read the image"));
    reader.readAsDataURL(blob);
  });
}

/**
 * An artifact's bytes as a data: URL for an <img>. Not a blob: URL: the server's Content-Security-Policy
 * allows images from 'self' and data: only, and the bytes had to come through fetch to carry the key.
 */
export function useArtifactDataUrl(artifact: Pick<Artifact, "id">, enabled = true) {
  return useQuery({
    queryKey: ["artifact-data-url", artifact.id],
    queryFn: async ({ signal }) => dataUrl(await fetchArtifact(artifact.id, { signal })),
    enabled,
    staleTime: Infinity,
    retry: false,
  });
}
