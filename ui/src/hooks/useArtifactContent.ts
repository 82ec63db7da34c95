import { useEffect, useState } from "react";
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

/** An object URL for an artifact's bytes (an image preview), revoked when no longer shown. */
export function useArtifactObjectUrl(artifact: Pick<Artifact, "id">, enabled = true) {
  const blob = useQuery({
    queryKey: ["artifact-blob", artifact.id],
    queryFn: ({ signal }) => fetchArtifact(artifact.id, { signal }),
    enabled,
    staleTime: Infinity,
    retry: false,
  });
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!blob.data) return;
    const u = URL.createObjectURL(blob.data);
    setUrl(u);
    return () => {
      URL.revokeObjectURL(u);
      setUrl(undefined);
    };
  }, [blob.data]);
  return { url, error: blob.error, isPending: blob.isPending };
}
