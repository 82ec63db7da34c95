import { useSearchParams } from "react-router";
import { Link } from "react-router";
import type { RunStatus } from "../gen/flightcontrol/v1/run_pb";
import { useLiveRuns } from "../hooks/useLiveRuns";
import { useAuth } from "../hooks/useAuth";
import { FILTERABLE_STATUSES, RUN_STATUS_STYLE } from "../lib/run-status";
import { PageHeader, Section, Loading } from "../components/PageHeader";
import { RunTable } from "../components/RunTable";
import { LiveIndicator } from "../components/LiveIndicator";
import { ErrorBanner } from "../components/ErrorBanner";
import { buttonClass } from "../components/Button";
import { LoadMore } from "../components/LoadMore";

export function RunsPage() {
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const statuses = params
    .getAll("status")
    .map(Number)
    .filter((s) => FILTERABLE_STATUSES.includes(s)) as RunStatus[];
  const live = useLiveRuns({ statuses });

  const toggle = (s: RunStatus) => {
    const next = statuses.includes(s) ? statuses.filter((x) => x !== s) : [...statuses, s];
    setParams(next.length ? { status: next.map(String) } : {});
  };

  return (
    <div>
      <PageHeader
        title="Runs"
        subtitle={<LiveIndicator status={live.status} />}
        actions={
          can("runs:write") && (
            <Link to="/runs/new" className={buttonClass("primary")}>
              New run
            </Link>
          )
        }
      />
      <fieldset className="mb-3 flex min-w-0 flex-wrap items-center gap-1.5" aria-label="Filter by status">
        {FILTERABLE_STATUSES.map((s) => {
          const on = statuses.includes(s);
          return (
            <button
              key={s}
              type="button"
              aria-pressed={on}
              onClick={() => toggle(s)}
              className={`rounded-full px-2.5 py-0.5 text-xs ring-1 ring-inset ${on ? RUN_STATUS_STYLE[s].badge : "bg-white text-zinc-600 ring-zinc-300 hover:bg-zinc-50"}`}
            >
              {RUN_STATUS_STYLE[s].label}
            </button>
          );
        })}
        {statuses.length > 0 && (
          <button type="button" className="ml-1 text-xs text-zinc-500 hover:underline" onClick={() => setParams({})}>
            clear
          </button>
        )}
      </fieldset>
      <ErrorBanner error={live.error} />
      <Section>
        {live.isPending ? <Loading /> : <RunTable runs={live.runs} empty={statuses.length ? "No runs with these statuses." : "No runs yet."} />}
        <LoadMore hasMore={live.hasMore} loading={live.loadingMore} onLoad={live.loadMore} />
      </Section>
    </div>
  );
}
