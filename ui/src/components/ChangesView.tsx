import { useCallback, useMemo, useState } from "react";
import type { ViewType } from "react-diff-view";
import "react-diff-view/style/index.css";
import "./diff-theme.css";
import type { Artifact } from "../gen/flightcontrol/v1/artifact_pb";
import type { Run } from "../gen/flightcontrol/v1/run_pb";
import { useArtifactText } from "../hooks/useArtifactContent";
import { initiallyCollapsed, parseChangesDiff } from "../lib/diff-files";
import { errorMessage } from "../lib/errors";
import { bytes, count } from "../lib/format";
import { isTerminal } from "../lib/run-status";
import { EmptyState, Loading } from "./PageHeader";
import { DiffFileCard } from "./DiffFileCard";
import { Button } from "./Button";
import { ArtifactDownloadButton } from "./ArtifactDownloadButton";

/** Beyond this the diff is offered as a download only: parsing it would freeze the tab. */
export const DIFF_VIEW_LIMIT = 20 * 1024 * 1024;

const VIEW_TYPES: [ViewType, string][] = [
  ["unified", "Unified"],
  ["split", "Split"],
];

/** The Changes tab: the files of the run's diff (its changes.diff artifact), unified or side by side. */
export default function ChangesView({ run, diff, loading }: { run: Run; diff: Artifact | undefined; loading: boolean }) {
  if (loading) return <Loading label="Loading the run's artifacts…" />;
  if (!diff) {
    return (
      <div className="card">
        <EmptyState>
          {!isTerminal(run.status)
            ? "The changes appear here when the run finishes."
            : run.changes
              ? "The run committed its work but kept no diff."
              : "This run kept no changes: it has no repository, or it ended before committing."}
        </EmptyState>
      </div>
    );
  }
  if (diff.sizeBytes > BigInt(DIFF_VIEW_LIMIT)) {
    return (
      <div className="card flex flex-wrap items-center justify-between gap-3 px-4 py-6 text-sm text-zinc-600">
        <span>
          The diff is {bytes(diff.sizeBytes)}, too large to show here (the limit is {bytes(DIFF_VIEW_LIMIT)}).
        </span>
        <ArtifactDownloadButton artifact={diff} />
      </div>
    );
  }
  // Keyed: another run's diff starts with its own collapse state and view.
  return <LoadedChanges key={diff.id} diff={diff} />;
}

function LoadedChanges({ diff }: { diff: Artifact }) {
  const text = useArtifactText(diff);
  const files = useMemo(() => (text.data === undefined ? [] : parseChangesDiff(text.data)), [text.data]);
  const [viewType, setViewType] = useState<ViewType>("unified");
  // Expanded/collapsed by the user, over the defaults that keep a large diff responsive.
  const [overrides, setOverrides] = useState<Map<string, boolean>>(new Map());
  const defaults = useMemo(() => initiallyCollapsed(files), [files]);
  const isCollapsed = (key: string) => overrides.get(key) ?? defaults.has(key);
  const toggle = useCallback(
    (key: string) =>
      setOverrides((m) => {
        const next = new Map(m);
        next.set(key, !(m.get(key) ?? defaults.has(key)));
        return next;
      }),
    [defaults],
  );
  const setAll = (collapsed: boolean) => setOverrides(new Map(files.map((f) => [f.key, collapsed])));

  if (text.isPending) return <Loading label="Loading the diff…" />;
  if (text.error) return <p className="card px-4 py-3 text-sm text-red-700">Could not load the diff: {errorMessage(text.error)}</p>;
  if (files.length === 0) {
    return (
      <div className="card">
        <EmptyState>The agent changed nothing.</EmptyState>
      </div>
    );
  }
  const insertions = files.reduce((n, f) => n + f.insertions, 0);
  const deletions = files.reduce((n, f) => n + f.deletions, 0);
  const anyCollapsed = files.some((f) => isCollapsed(f.key));

  return (
    <div className="space-y-3" data-testid="changes-view" data-view-type={viewType}>
      <div className="flex flex-wrap items-center gap-3">
        <span className="text-sm text-zinc-700">
          {count(files.length)} file{files.length === 1 ? "" : "s"} changed,{" "}
          <span className="font-medium text-emerald-700">+{count(insertions)}</span>{" "}
          <span className="font-medium text-red-700">−{count(deletions)}</span>
        </span>
        <div className="ml-auto flex items-center gap-2">
          <Button size="sm" onClick={() => setAll(!anyCollapsed)}>
            {anyCollapsed ? "Expand all" : "Collapse all"}
          </Button>
          <div className="inline-flex rounded-md ring-1 ring-zinc-300 ring-inset">
            {VIEW_TYPES.map(([v, label]) => (
              <button
                key={v}
                type="button"
                aria-pressed={viewType === v}
                title={`${label} diff`}
                onClick={() => setViewType(v)}
                className={`px-3 py-1 text-xs font-medium first:rounded-l-md last:rounded-r-md ${viewType === v ? "bg-indigo-600 text-white" : "text-zinc-700 hover:bg-zinc-50"}`}
              >
                {label}
              </button>
            ))}
          </div>
          <ArtifactDownloadButton artifact={diff} label="Download .diff" />
        </div>
      </div>
      <nav aria-label="Changed files" className="card divide-y divide-zinc-100 text-xs">
        {files.map((f) => (
          <button
            key={f.key}
            type="button"
            onClick={() => document.getElementById(`diff-${f.key}`)?.scrollIntoView({ block: "start" })}
            className="flex w-full items-center gap-3 px-3 py-1 text-left hover:bg-zinc-50"
            data-file-row={f.path}
          >
            <span className="min-w-0 flex-1 truncate font-mono text-zinc-800">{f.path}</span>
            {f.binary ? (
              <span className="text-zinc-500">binary</span>
            ) : (
              <span className="font-mono">
                <span className="text-emerald-700">+{count(f.insertions)}</span> <span className="text-red-700">−{count(f.deletions)}</span>
              </span>
            )}
          </button>
        ))}
      </nav>
      {files.map((f) => (
        <DiffFileCard key={f.key} file={f} viewType={viewType} collapsed={isCollapsed(f.key)} onToggle={toggle} />
      ))}
    </div>
  );
}
