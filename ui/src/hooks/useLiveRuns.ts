import { useCallback, useMemo, useState } from "react";
import { useInfiniteQuery } from "@connectrpc/connect-query";
import { RunService, type Run, type RunStatus } from "../gen/flightcontrol/v1/run_pb";
import { newerRun } from "../lib/run-status";
import { tsToMs } from "../lib/format";
import { createFrameBatcher } from "../lib/frame";
import { useWatchRuns } from "./useWatchRuns";
import type { StreamStatus } from "../lib/stream";

export interface RunFilter {
  jobId?: string;
  statuses?: RunStatus[];
  workerId?: string;
  scheduleId?: string;
  labels?: Record<string, string>;
}

function matches(run: Run, f: RunFilter): boolean {
  if (f.jobId && run.jobId !== f.jobId) return false;
  if (f.workerId && run.workerId !== f.workerId) return false;
  if (f.scheduleId && run.scheduleId !== f.scheduleId) return false;
  if (f.statuses?.length && !f.statuses.includes(run.status)) return false;
  for (const [k, v] of Object.entries(f.labels ?? {})) if (run.labels[k] !== v) return false;
  return true;
}

const created = (r: Run) => tsToMs(r.createTime) ?? 0;

/**
 * Bounds the overlay of streamed runs: keeps runs the fetched pages hold (to update them in
 * place) and the newest few others; a dashboard left open through a benchmark must not keep
 * every run it ever heard of.
 */
function prune(overlay: Map<string, Run>, listed: ReadonlySet<string>, limit: number): Map<string, Run> {
  if (overlay.size <= limit * 2 + listed.size) return overlay;
  const extra = [...overlay.values()].filter((r) => !listed.has(r.id)).sort((a, b) => created(b) - created(a));
  const keep = new Set(extra.slice(0, limit).map((r) => r.id));
  for (const id of overlay.keys()) if (!listed.has(id) && !keep.has(id)) overlay.delete(id);
  return overlay;
}

export interface LiveRuns {
  runs: Run[];
  status: StreamStatus;
  isPending: boolean;
  error: unknown;
  hasMore: boolean;
  loadMore: () => void;
  loadingMore: boolean;
}

/**
 * A page of ListRuns kept current by WatchRuns: state changes replace rows in place, new runs
 * that match the filter appear on top, and runs that stop matching (status filter) drop out.
 */
export function useLiveRuns(filter: RunFilter, pageSize = 50, onChange?: (run: Run) => void): LiveRuns {
  const query = useInfiniteQuery(
    RunService.method.listRuns,
    { ...filter, pageSize, pageToken: "" },
    { pageParamKey: "pageToken", getNextPageParam: (last) => last.nextPageToken || undefined },
  );
  const [overlay, setOverlay] = useState<Map<string, Run>>(() => new Map());
  // Mutable per-hook state the stream callbacks read: incoming runs, and what the view shows.
  const [pending] = useState(() => ({ runs: new Map<string, Run>(), onChange, listed: new Set<string>(), limit: pageSize }));
  pending.onChange = onChange;
  const [batcher] = useState(() =>
    createFrameBatcher(() => {
      const incoming = pending.runs;
      pending.runs = new Map();
      setOverlay((prev) => {
        const next = new Map(prev);
        for (const [id, run] of incoming) {
          const old = next.get(id);
          next.set(id, old ? newerRun(old, run) : run);
        }
        return prune(next, pending.listed, pending.limit);
      });
    }),
  );

  const onRun = useCallback(
    (run: Run) => {
      const old = pending.runs.get(run.id);
      pending.runs.set(run.id, old ? newerRun(old, run) : run);
      batcher.schedule();
      pending.onChange?.(run);
    },
    [pending, batcher],
  );
  const { refetch } = query;
  const status = useWatchRuns({ jobId: filter.jobId || undefined, onRun, onReconnect: () => void refetch() });

  // Callers rebuild the filter object on each render; one parsed copy per distinct JSON keeps the memo below from recomputing for nothing.
  const filterJson = JSON.stringify(filter);
  const sameFilter = useMemo(() => JSON.parse(filterJson) as RunFilter, [filterJson]);
  const pages = query.data?.pages;
  const merged = useMemo(() => {
    const listed = pages?.flatMap((p) => p.runs) ?? [];
    const byId = new Map<string, Run>();
    for (const r of listed) byId.set(r.id, r);
    const hasMore = !!pages?.at(-1)?.nextPageToken;
    const oldestListed = listed.length ? Math.min(...listed.map(created)) : 0;
    for (const [id, run] of overlay) {
      const old = byId.get(id);
      if (old) byId.set(id, newerRun(old, run));
      // A run older than the loaded page belongs to a page not fetched yet.
      else if (!hasMore || created(run) >= oldestListed) byId.set(id, run);
    }
    const sorted = [...byId.values()].filter((r) => matches(r, sameFilter)).sort((a, b) => created(b) - created(a));
    // Under a burst of new runs the view stays one page long instead of growing without bound.
    const limit = Math.max(listed.length, pageSize);
    return { listed, runs: sorted.slice(0, limit), limit };
  }, [pages, overlay, pageSize, sameFilter]);
  pending.listed = new Set(merged.listed.map((r) => r.id));
  pending.limit = merged.limit;
  const runs = merged.runs;

  return {
    runs,
    status,
    isPending: query.isPending,
    error: query.error,
    hasMore: !!query.hasNextPage,
    loadMore: () => void query.fetchNextPage(),
    loadingMore: query.isFetchingNextPage,
  };
}
