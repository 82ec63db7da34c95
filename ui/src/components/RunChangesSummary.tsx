import type { RunChanges } from "../gen/flightcontrol/v1/run_pb";
import { count, shortCommit } from "../lib/format";

/** The run's branch (pushed or not), base → head commits and the size of the change, for the page header. */
export function RunChangesSummary({ changes }: { changes: RunChanges }) {
  const changed = changes.headCommit !== "" && changes.headCommit !== changes.baseCommit;
  return (
    <span className="inline-flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-zinc-600" data-testid="run-changes">
      <span>
        branch{" "}
        <span className="font-mono text-zinc-800" data-testid="run-branch">
          {changes.branch}
        </span>
      </span>
      {changes.pushed ? (
        <span
          className="rounded-full bg-emerald-50 px-1.5 py-0.5 text-[11px] font-medium text-emerald-700 ring-1 ring-emerald-200 ring-inset"
          data-testid="pushed-badge"
        >
          pushed
        </span>
      ) : (
        <span className="rounded-full bg-zinc-100 px-1.5 py-0.5 text-[11px] font-medium text-zinc-600 ring-1 ring-zinc-200 ring-inset">
          not pushed
        </span>
      )}
      <span className="font-mono" title={`${changes.baseCommit} → ${changes.headCommit}`} data-testid="run-commits">
        {shortCommit(changes.baseCommit)} → {changed ? shortCommit(changes.headCommit) : "no new commit"}
      </span>
      <span data-testid="run-diffstat">
        {count(changes.filesChanged)} file{changes.filesChanged === 1 ? "" : "s"}{" "}
        <span className="font-medium text-emerald-700">+{count(changes.insertions)}</span>{" "}
        <span className="font-medium text-red-700">−{count(changes.deletions)}</span>
      </span>
    </span>
  );
}
