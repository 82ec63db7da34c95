import { useState } from "react";
import type { Artifact } from "../gen/flightcontrol/v1/artifact_pb";
import { fetchArtifact } from "../lib/artifact-fetch";
import { downloadName } from "../lib/artifact-preview";
import { errorMessage } from "../lib/errors";
import { saveBlob } from "../lib/save-file";
import { Button } from "./Button";

/**
 * Downloads an artifact through fetch with the key in a header, then saves the bytes: a plain link
 * cannot carry the Authorization header, and the key must never be put in a URL.
 */
export function ArtifactDownloadButton({ artifact, label = "Download" }: { artifact: Pick<Artifact, "id" | "name">; label?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  async function download() {
    setBusy(true);
    setError(undefined);
    try {
      saveBlob(downloadName(artifact), await fetchArtifact(artifact.id));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <span className="inline-flex items-center gap-2">
      {error != null && (
        <span role="alert" className="text-xs text-red-700">
          {errorMessage(error)}
        </span>
      )}
      <Button size="sm" onClick={download} busy={busy} aria-label={`${label} ${artifact.name}`}>
        {label}
      </Button>
    </span>
  );
}
