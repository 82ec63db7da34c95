import { RunStatus, type Run } from "../gen/flightcontrol/v1/run_pb";
import { labelList } from "../lib/labels";
import { Chip } from "./StatusBadge";

/**
 * One line under the timeline that says why a run is where it is: what it waits for while
 * queued, or how it ended when that was not a success. Red only for failures. The run's required
 * labels come from its spec, which the caller fetches (GetRun) apart from the streamed state;
 * undefined while that is under way.
 */
export function RunNotice({ run, requiredLabels }: { run: Run; requiredLabels: Record<string, string> | undefined }) {
  const exit = run.exitCode !== undefined && run.exitCode !== 0 ? <span className="ml-2 font-mono text-xs">exit code {run.exitCode}</span> : null;
  if (run.status === RunStatus.QUEUED) {
    if (!requiredLabels) return <Notice tone="neutral">Waiting for a worker.</Notice>;
    const labels = labelList(requiredLabels);
    return (
      <Notice tone="neutral">
        Waiting for {labels.length ? "a worker labelled " : "a free worker slot."}
        {labels.length > 0 && (
          <span className="inline-flex flex-wrap gap-1 align-middle">
            {labels.map((l) => (
              <Chip key={l}>{l}</Chip>
            ))}
          </span>
        )}
        {labels.length > 0 && " with a free slot."}
      </Notice>
    );
  }
  if (run.status === RunStatus.CANCELLED) {
    const reason = run.error && run.error.toLowerCase() !== "cancelled" ? `: ${run.error}` : ".";
    return (
      <Notice tone="neutral">
        Cancelled{reason}
        {exit}
      </Notice>
    );
  }
  if (!run.error && !exit) return null;
  return (
    <Notice tone="error">
      {run.error || "The agent exited unsuccessfully."}
      {exit}
    </Notice>
  );
}

function Notice({ tone, children }: { tone: "neutral" | "error"; children: React.ReactNode }) {
  const cls = tone === "error" ? "border-red-200 bg-red-50 text-red-800" : "border-zinc-200 bg-white text-zinc-700";
  return (
    <div className={`mb-4 rounded-md border px-3 py-2 text-sm ${cls}`} role="status" data-testid="run-notice">
      {children}
    </div>
  );
}
