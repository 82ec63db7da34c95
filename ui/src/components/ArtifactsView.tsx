import { useState } from "react";
import { ArtifactKind, type Artifact } from "../gen/flightcontrol/v1/artifact_pb";
import { ARTIFACT_KIND_LABEL, listedArtifacts, previewUnavailable } from "../lib/artifact-preview";
import { bytes } from "../lib/format";
import { ArtifactDownloadButton } from "./ArtifactDownloadButton";
import { ArtifactPreview } from "./ArtifactPreview";
import { Button } from "./Button";
import { EmptyState, Loading, Section } from "./PageHeader";
import { RelativeTime } from "./RelativeTime";

/** The Artifacts tab: the files the run kept, each downloadable, one previewed at a time. */
export default function ArtifactsView({ artifacts, finished, loading }: { artifacts: readonly Artifact[]; finished: boolean; loading: boolean }) {
  const listed = listedArtifacts(artifacts);
  const [chosen, setChosen] = useState<string | null>();
  // Until the user picks one, the first collected file that can be previewed is shown.
  const fallback = listed.find((a) => a.kind === ArtifactKind.FILE && !previewUnavailable(a));
  const selected = chosen === undefined ? fallback : listed.find((a) => a.id === chosen);

  if (loading) return <Loading label="Loading the run's artifacts…" />;
  if (listed.length === 0) {
    return (
      <div className="card">
        <EmptyState>
          {finished
            ? "This run kept no artifacts. Add artifact globs to the job to keep files from its workspace."
            : "Artifacts appear here when the run finishes."}
        </EmptyState>
      </div>
    );
  }
  return (
    <div className="space-y-3">
      <div className="card overflow-x-auto">
        <table className="table-dense" data-testid="artifact-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th className="text-right">Size</th>
              <th>SHA-256</th>
              <th>Kept</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {listed.map((a) => (
              <tr
                key={a.id}
                data-artifact-name={a.name}
                aria-selected={selected?.id === a.id}
                className={selected?.id === a.id ? "bg-indigo-50/60" : ""}
              >
                <td className="max-w-[28rem] truncate font-mono text-xs" title={a.name}>
                  {a.name}
                </td>
                <td className="text-xs text-zinc-600">{ARTIFACT_KIND_LABEL[a.kind]}</td>
                <td className="text-right text-xs whitespace-nowrap text-zinc-600">{bytes(a.sizeBytes)}</td>
                <td className="font-mono text-xs text-zinc-500" title={a.sha256}>
                  {a.sha256.slice(0, 12)}
                </td>
                <td className="text-xs whitespace-nowrap text-zinc-500">
                  <RelativeTime ts={a.createTime} />
                </td>
                <td className="text-right whitespace-nowrap">
                  <span className="inline-flex items-center gap-1">
                    <Button
                      size="sm"
                      variant="ghost"
                      aria-label={`${selected?.id === a.id ? "Hide preview of" : "Preview"} ${a.name}`}
                      aria-pressed={selected?.id === a.id}
                      onClick={() => setChosen(selected?.id === a.id ? null : a.id)}
                    >
                      {selected?.id === a.id ? "Hide preview" : "Preview"}
                    </Button>
                    <ArtifactDownloadButton artifact={a} />
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {selected && (
        <Section
          title={<span className="font-mono text-xs">{selected.name}</span>}
          actions={<span className="text-xs text-zinc-500">{selected.contentType}</span>}
        >
          <div data-testid="artifact-preview" data-artifact-preview={selected.name}>
            <ArtifactPreview key={selected.id} artifact={selected} />
          </div>
        </Section>
      )}
    </div>
  );
}
