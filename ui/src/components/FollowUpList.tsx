import { Link } from "react-router";
import { useQuery } from "@connectrpc/connect-query";
import { RunService, type Run } from "../gen/flightcontrol/v1/run_pb";
import { shortId } from "../lib/format";
import { runTitle } from "../lib/run-status";
import { Section } from "./PageHeader";
import { RunStatusBadge } from "./StatusBadge";

/** The runs that follow this one up (ListRuns by parent_run_id), oldest first; `titled` puts them in their own section. */
export function FollowUpList({ run, titled = false }: { run: Run; titled?: boolean }) {
  const children = useQuery(RunService.method.listRuns, { parentRunId: run.id, pageSize: 50 }, { staleTime: 5_000 });
  // Checked here too: a server that predates the parent_run_id filter would answer with every run.
  const runs = (children.data?.runs ?? []).filter((r) => r.parentRunId === run.id).reverse();
  if (children.error) return <p className="px-4 py-2 text-xs text-zinc-500">Follow-ups could not be listed: {children.error.message}</p>;
  if (runs.length === 0) return null;
  const list = (
    <ol className="divide-y divide-zinc-100 border-b border-zinc-200" aria-label="Follow-ups" data-testid="follow-ups">
      {runs.map((r) => (
        <li key={r.id} className="flex items-center gap-3 px-4 py-1.5 text-sm">
          <RunStatusBadge status={r.status} />
          <Link to={`/runs/${r.id}`} className="min-w-0 flex-1 truncate text-indigo-700 hover:underline">
            {runTitle(r)}
          </Link>
          <span className="font-mono text-xs text-zinc-500">{shortId(r.id)}</span>
        </li>
      ))}
    </ol>
  );
  return titled ? (
    <Section title="Follow-ups" className="mt-4">
      {list}
    </Section>
  ) : (
    list
  );
}
