import { Link } from "react-router";
import type { Run } from "../gen/flightcontrol/v1/run_pb";
import { useNow } from "../hooks/useNow";
import { between, duration, shortId } from "../lib/format";
import { compactValues } from "../lib/parameter-values";
import { isActive, runTitle, TRIGGER_LABEL } from "../lib/run-status";
import { RelativeTime } from "./RelativeTime";
import { RunStatusBadge } from "./StatusBadge";
import { EmptyState } from "./PageHeader";

export function RunTable({ runs, showJob = true, empty = "No runs yet." }: { runs: Run[]; showJob?: boolean; empty?: string }) {
  useNow();
  if (runs.length === 0) return <EmptyState>{empty}</EmptyState>;
  return (
    <div className="overflow-x-auto">
      <table className="table-dense" data-testid="run-table">
        <thead>
          <tr>
            <th className="w-28">Status</th>
            <th>{showJob ? "Run" : "Run id"}</th>
            <th className="w-24">Trigger</th>
            <th className="w-36">Worker</th>
            <th className="w-20">Attempt</th>
            <th className="w-28">Created</th>
            <th className="w-24 text-right">Duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-run-id={r.id}>
              <td>
                <RunStatusBadge status={r.status} cancelRequested={r.cancelRequested} />
              </td>
              <td className="max-w-0">
                <Link
                  to={`/runs/${r.id}`}
                  className={`block truncate font-medium text-zinc-900 hover:text-indigo-700 ${showJob ? "" : "font-mono text-xs"}`}
                >
                  {showJob ? runTitle(r) : shortId(r.id)}
                </Link>
                {showJob && <span className="font-mono text-[11px] text-zinc-400">{shortId(r.id)}</span>}
                {Object.keys(r.parameters).length > 0 && (
                  <span
                    className={`block truncate font-mono text-[11px] text-zinc-500 ${showJob ? "" : "mt-0.5"}`}
                    title={compactValues(r.parameters, 1000)}
                    data-testid="run-parameter-values"
                  >
                    {compactValues(r.parameters)}
                  </span>
                )}
              </td>
              <td className="text-xs text-zinc-600">{TRIGGER_LABEL[r.trigger]}</td>
              <td className="truncate text-xs text-zinc-600">{r.workerName || <span className="text-zinc-400">—</span>}</td>
              <td className="text-xs text-zinc-600 tabular-nums">
                {r.attempt || 1}
                {r.maxAttempts > 1 ? `/${r.maxAttempts}` : ""}
              </td>
              <td className="text-xs text-zinc-600">
                <RelativeTime ts={r.createTime} />
              </td>
              <td className="text-right text-xs text-zinc-600 tabular-nums">
                {r.startTime ? duration(between(r.startTime, r.finishTime, isActive(r.status) ? Date.now() : undefined)) : "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
