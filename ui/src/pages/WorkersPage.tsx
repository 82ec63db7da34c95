import { useState } from "react";
import { Link } from "react-router";
import { useMutation } from "@connectrpc/connect-query";
import { WorkerService, WorkerState, type Worker } from "../gen/flightcontrol/v1/worker_pb";
import { useWatchWorkers } from "../hooks/useWatchWorkers";
import { useAuth } from "../hooks/useAuth";
import { labelList } from "../lib/labels";
import { shortId } from "../lib/format";
import { PageHeader, Section, Loading, EmptyState } from "../components/PageHeader";
import { WorkerStateBadge, Chip } from "../components/StatusBadge";
import { LiveIndicator } from "../components/LiveIndicator";
import { RelativeTime } from "../components/RelativeTime";
import { ConfirmButton } from "../components/ConfirmButton";
import { InlineError } from "../components/ErrorBanner";

const STATE_ORDER: Record<WorkerState, number> = {
  [WorkerState.ONLINE]: 0,
  [WorkerState.DRAINING]: 1,
  [WorkerState.UNSPECIFIED]: 2,
  [WorkerState.OFFLINE]: 3,
};

export function WorkersPage() {
  const { workers, status, loaded } = useWatchWorkers();
  const [showOffline, setShowOffline] = useState(false);
  const visible = workers
    .filter((w) => showOffline || w.state !== WorkerState.OFFLINE)
    .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.name.localeCompare(b.name));
  const offline = workers.filter((w) => w.state === WorkerState.OFFLINE).length;
  const used = visible.reduce((n, w) => n + (w.state !== WorkerState.OFFLINE ? w.activeRunIds.length : 0), 0);
  const total = visible.reduce((n, w) => n + (w.state === WorkerState.ONLINE ? w.capacity : 0), 0);

  return (
    <div>
      <PageHeader
        title="Workers"
        subtitle={
          <span className="flex items-center gap-3">
            <LiveIndicator status={status} />
            <span>
              {used}/{total} slots busy
            </span>
          </span>
        }
        actions={
          <label className="flex items-center gap-1.5 text-sm text-zinc-600">
            <input type="checkbox" className="accent-indigo-600" checked={showOffline} onChange={(e) => setShowOffline(e.target.checked)} />
            Show offline ({offline})
          </label>
        }
      />
      <Section>
        {!loaded ? (
          <Loading />
        ) : visible.length === 0 ? (
          <EmptyState>No workers connected. Start one with `npm run worker` and a worker key.</EmptyState>
        ) : (
          <div className="overflow-x-auto">
            <table className="table-dense" data-testid="worker-table">
              <thead>
                <tr>
                  <th>Worker</th>
                  <th className="w-24">State</th>
                  <th>Labels</th>
                  <th>Agents</th>
                  <th className="w-32">Slots</th>
                  <th>Current runs</th>
                  <th className="w-28">Heartbeat</th>
                  <th className="w-24" />
                </tr>
              </thead>
              <tbody>
                {visible.map((w) => (
                  <WorkerRow key={w.id} worker={w} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </div>
  );
}

function WorkerRow({ worker: w }: { worker: Worker }) {
  const { can } = useAuth();
  // The stream brings the draining state back; no cache to invalidate.
  const drain = useMutation(WorkerService.method.drainWorker);
  const busy = w.state === WorkerState.OFFLINE ? 0 : w.activeRunIds.length;
  const pct = w.capacity ? Math.min(100, (busy / w.capacity) * 100) : 0;
  return (
    <tr data-worker-id={w.id} data-worker-name={w.name} className={w.state === WorkerState.OFFLINE ? "text-zinc-400" : ""}>
      <td>
        <div className="font-medium">{w.name}</div>
        <div className="text-[11px] text-zinc-500">
          {w.hostname}
          {w.version && ` · v${w.version}`}
        </div>
      </td>
      <td>
        <WorkerStateBadge state={w.state} />
      </td>
      <td>
        {Object.keys(w.labels).length === 0 ? (
          <span className="text-xs text-zinc-400">none</span>
        ) : (
          <div className="flex flex-wrap gap-1">
            {labelList(w.labels).map((l) => (
              <Chip key={l}>{l}</Chip>
            ))}
          </div>
        )}
      </td>
      <td>
        <div className="flex flex-wrap gap-1">
          {w.agents.map((a) => (
            <Chip key={a} tone="indigo">
              {w.agentVersions[a] ? `${a} ${w.agentVersions[a]}` : a}
            </Chip>
          ))}
        </div>
      </td>
      <td>
        <div className="flex items-center gap-2">
          <div className="h-1.5 w-16 overflow-hidden rounded-full bg-zinc-200">
            <div className={`h-full ${pct >= 100 ? "bg-amber-500" : "bg-indigo-500"}`} style={{ width: `${pct}%` }} />
          </div>
          <span className="text-xs tabular-nums" data-testid="worker-slots">
            {busy}/{w.capacity}
          </span>
        </div>
      </td>
      <td className="text-xs">
        {w.activeRunIds.length === 0 || w.state === WorkerState.OFFLINE ? (
          <span className="text-zinc-400">idle</span>
        ) : (
          <span className="flex flex-wrap gap-1">
            {w.activeRunIds.map((id) => (
              <Link key={id} to={`/runs/${id}`} className="font-mono text-indigo-700 hover:underline">
                {shortId(id)}
              </Link>
            ))}
          </span>
        )}
      </td>
      <td className="text-xs">
        <RelativeTime ts={w.state === WorkerState.OFFLINE ? (w.disconnectTime ?? w.lastHeartbeatTime) : w.lastHeartbeatTime} />
      </td>
      <td className="text-right">
        <InlineError error={drain.error} />
        {can("workers:drain") && w.state === WorkerState.ONLINE && (
          <ConfirmButton size="sm" onConfirm={() => drain.mutate({ id: w.id })} busy={drain.isPending} confirmLabel="Drain?">
            Drain
          </ConfirmButton>
        )}
      </td>
    </tr>
  );
}
