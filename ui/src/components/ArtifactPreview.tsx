import Markdown from "react-markdown";
import type { Artifact } from "../gen/flightcontrol/v1/artifact_pb";
import { useArtifactDataUrl, useArtifactText } from "../hooks/useArtifactContent";
import { previewKind, previewUnavailable } from "../lib/artifact-preview";
import { errorMessage } from "../lib/errors";
import { Loading } from "./PageHeader";

function Failed({ error }: { error: unknown }) {
  return <p className="px-4 py-3 text-sm text-red-700">Could not load the preview: {errorMessage(error)}</p>;
}

function TextPreview({ artifact, markdown }: { artifact: Artifact; markdown: boolean }) {
  const text = useArtifactText(artifact);
  if (text.isPending) return <Loading label="Loading the preview…" />;
  if (text.error) return <Failed error={text.error} />;
  if (markdown) {
    // react-markdown renders no raw HTML from the file (it escapes it) and drops javascript: links.
    return (
      <div className="markdown-preview px-5 py-4" data-testid="markdown-preview">
        <Markdown>{text.data}</Markdown>
      </div>
    );
  }
  return (
    <pre className="max-h-[60vh] overflow-auto px-4 py-3 font-mono text-xs whitespace-pre-wrap text-zinc-800" data-testid="text-preview">
      {text.data}
    </pre>
  );
}

function ImagePreview({ artifact }: { artifact: Artifact }) {
  const { data: url, error, isPending } = useArtifactDataUrl(artifact);
  if (error) return <Failed error={error} />;
  if (isPending || !url) return <Loading label="Loading the preview…" />;
  return (
    <div className="flex justify-center bg-[repeating-conic-gradient(#f4f4f5_0%_25%,#fff_0%_50%)] bg-[length:16px_16px] p-4">
      <img src={url} alt={artifact.name} className="max-h-[60vh] max-w-full object-contain" data-testid="image-preview" />
    </div>
  );
}

/** An artifact shown inline: Markdown rendered, text as is, images decoded by the browser; size-capped. */
export function ArtifactPreview({ artifact }: { artifact: Artifact }) {
  const unavailable = previewUnavailable(artifact);
  if (unavailable) return <p className="px-4 py-6 text-center text-sm text-zinc-500">{unavailable}</p>;
  const kind = previewKind(artifact);
  return kind === "image" ? <ImagePreview artifact={artifact} /> : <TextPreview artifact={artifact} markdown={kind === "markdown"} />;
}
