import { useEffect, useState, type ReactNode } from "react";
import { Link } from "react-router";
import { createConnectQueryKey, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { SystemService } from "../gen/flightcontrol/v1/system_pb";
import { RunStatus } from "../gen/flightcontrol/v1/run_pb";
import { useLiveRuns } from "../hooks/useLiveRuns";
import { useWatchWorkers } from "../hooks/useWatchWorkers";
import { createThrottle } from "../lib/throttle";
import { count } from "../lib/format";
import { WorkerState } from "../gen/flightcontrol/v1/worker_pb";
import { PageHeader, Section, Loading } from "../components/PageHeader";
import { RunTable } from "../components/RunTable";
import { LiveIndicator } from "../components/LiveIndicator";
import { ErrorBanner } from "../components/ErrorBanner";
import { useWorkspace } from "../hooks/useWorkspace";

function Stat({ label, value, sub, tone = "text-zinc-900", to }: { label: string; value: ReactNode; sub?: ReactNode; tone?: string; to?: string }) {
  const body = (
    <>
      <div className="text-xs font-medium text-zinc-500">{label}</div>
      <div className={`mt-1 text-2xl font-semibold tabular-nums ${tone}`} data-stat={label}>
        {value}
      </div>
      {sub && <div className="mt-0.5 text-xs text-zinc-500">{sub}</div>}
    </>
  );
  return to ? (
    <Link to={to} className="card block px-4 py-3 hover:border-indigo-300">
      {body}
    </Link>
  ) : (
    <div className="card px-4 py-3">{body}</div>
  );
}

export function DashboardPage() {
  // GetStats, the runs and the fleet are all the current workspace's (the server scopes them by x-workspace-id).
  const { current } = useWorkspace();
  const queryClient = useQueryClient();
  const stats = useQuery(SystemService.method.getStats, {});

  // Streams say *that* something changed; the stats query says what the totals are now.
  const [refresh] = useState(() =>
    createThrottle(
      () =>
        void queryClient.invalidateQueries({ queryKey: createConnectQueryKey({ schema: SystemService.method.getStats, cardinality: undefined }) }),
      1000,
    ),
  );
  useEffect(() => () => refresh.cancel(), [refresh]);

  const recent = useLiveRuns({}, 15, refresh.call);
  // Heartbeats also arrive as updates; only a change the totals could reflect triggers a refetch.
  const [seen] = useState(() => new Map<string, string>());
  const fleet = useWatchWorkers({
    onChange: (w) => {
      const sig = `${w.state}|${w.activeRunIds.length}|${w.capacity}`;
      if (seen.get(w.id) === sig) return;
      seen.set(w.id, sig);
      refresh.call();
    },
  });

  const s = stats.data;
  const byStatus = (st: RunStatus) => Number(s?.runsByStatus.find((r) => r.status === st)?.count ?? 0n);
  const online = fleet.workers.filter((w) => w.state !== WorkerState.OFFLINE).length;

  return (
    <div>
      <PageHeader
        title={
          current ? (
            <>
              Dashboard <span className="text-zinc-400">·</span> <span data-testid="dashboard-workspace">{current.name}</span>
            </>
          ) : (
            "Dashboard"
          )
        }
        subtitle={
          <span className="flex items-center gap-2">
            {current && <span>Numbers for the {current.name} workspace.</span>}
            <LiveIndicator status={recent.status} />
          </span>
        }
      />
      <ErrorBanner error={stats.error} />
      {stats.isPending ? (
        <Loading />
      ) : (
        s && (
          <div className="mb-5 grid grid-cols-2 gap-3 md:grid-cols-4 xl:grid-cols-7">
            <Stat
              label="Queue depth"
              value={count(s.queueDepth)}
              sub={`${count(byStatus(RunStatus.ASSIGNED))} assigned`}
              to={`/runs?status=${RunStatus.QUEUED}`}
            />
            <Stat label="Running" value={count(byStatus(RunStatus.RUNNING))} tone="text-blue-700" to={`/runs?status=${RunStatus.RUNNING}`} />
            <Stat
              label="Succeeded · 1h"
              value={count(s.lastHour?.succeeded ?? 0n)}
              sub={`${count(s.lastDay?.succeeded ?? 0n)} in 24h`}
              tone="text-emerald-700"
            />
            <Stat
              label="Failed · 1h"
              value={count(s.lastHour?.failed ?? 0n)}
              sub={`${count(s.lastDay?.failed ?? 0n)} in 24h`}
              tone={(s.lastHour?.failed ?? 0n) > 0n ? "text-red-700" : "text-zinc-900"}
            />
            <Stat
              label="Workers online"
              value={count(s.workersOnline)}
              sub={s.workersDraining ? `${s.workersDraining} draining` : `${online} connected now`}
              to="/workers"
            />
            <Stat
              label="Busy slots"
              value={`${s.slotsUsed}/${s.slotsTotal}`}
              sub={s.slotsTotal ? `${Math.round((s.slotsUsed / s.slotsTotal) * 100)}% used` : "no capacity"}
            />
            <Stat label="Throughput" value={s.throughputPerMinute.toFixed(1)} sub="runs/min · last 5 min" />
          </div>
        )
      )}
      <Section
        title="Recent runs"
        actions={
          <Link to="/runs" className="text-xs text-indigo-700 hover:underline">
            All runs →
          </Link>
        }
      >
        <ErrorBanner error={recent.error} />
        {recent.isPending ? <Loading /> : <RunTable runs={recent.runs.slice(0, 15)} />}
      </Section>
    </div>
  );
}
