import { RunStatus, TriggerKind, type Run } from "../gen/flightcontrol/v1/run_pb";

interface StatusStyle {
  label: string;
  /** Tailwind classes for the badge. */
  badge: string;
  /** Tailwind class for a small dot. */
  dot: string;
}

export const RUN_STATUS_STYLE: Record<RunStatus, StatusStyle> = {
  [RunStatus.UNSPECIFIED]: { label: "unknown", badge: "bg-zinc-100 text-zinc-600 ring-zinc-300", dot: "bg-zinc-400" },
  [RunStatus.QUEUED]: { label: "queued", badge: "bg-slate-100 text-slate-700 ring-slate-300", dot: "bg-slate-400" },
  [RunStatus.ASSIGNED]: { label: "assigned", badge: "bg-sky-50 text-sky-700 ring-sky-300", dot: "bg-sky-400" },
  [RunStatus.RUNNING]: { label: "running", badge: "bg-blue-50 text-blue-700 ring-blue-300", dot: "bg-blue-500 animate-pulse" },
  [RunStatus.SUCCEEDED]: { label: "succeeded", badge: "bg-emerald-50 text-emerald-700 ring-emerald-300", dot: "bg-emerald-500" },
  [RunStatus.FAILED]: { label: "failed", badge: "bg-red-50 text-red-700 ring-red-300", dot: "bg-red-500" },
  [RunStatus.CANCELLED]: { label: "cancelled", badge: "bg-zinc-100 text-zinc-600 ring-zinc-300", dot: "bg-zinc-400" },
  [RunStatus.TIMED_OUT]: { label: "timed out", badge: "bg-amber-50 text-amber-800 ring-amber-300", dot: "bg-amber-500" },
  [RunStatus.LOST]: { label: "lost", badge: "bg-fuchsia-50 text-fuchsia-700 ring-fuchsia-300", dot: "bg-fuchsia-500" },
};

export const FILTERABLE_STATUSES: RunStatus[] = [
  RunStatus.QUEUED,
  RunStatus.ASSIGNED,
  RunStatus.RUNNING,
  RunStatus.SUCCEEDED,
  RunStatus.FAILED,
  RunStatus.CANCELLED,
  RunStatus.TIMED_OUT,
  RunStatus.LOST,
];

export function isTerminal(status: RunStatus): boolean {
  return status >= RunStatus.SUCCEEDED;
}

export function isActive(status: RunStatus): boolean {
  return status === RunStatus.QUEUED || status === RunStatus.ASSIGNED || status === RunStatus.RUNNING;
}

// A run's state only moves forward within an attempt, and a requeue raises the attempt, so
// (attempt, status rank, last seq) orders two snapshots of the same run without a version field.
function progress(run: Run): [number, number, bigint] {
  const rank = isTerminal(run.status) ? 4 : run.status;
  return [run.attempt, rank, run.lastSeq];
}

export function newerRun(a: Run, b: Run): Run {
  const pa = progress(a);
  const pb = progress(b);
  for (let i = 0; i < 3; i++) {
    if (pa[i]! > pb[i]!) return a;
    if (pa[i]! < pb[i]!) return b;
  }
  // Equal progress: the later snapshot may still carry new fields (cancel_requested, usage).
  return b;
}

export const TRIGGER_LABEL: Record<TriggerKind, string> = {
  [TriggerKind.UNSPECIFIED]: "",
  [TriggerKind.MANUAL]: "manual",
  [TriggerKind.AD_HOC]: "ad hoc",
  [TriggerKind.SCHEDULE]: "schedule",
  [TriggerKind.RETRY]: "retry",
  [TriggerKind.FOLLOW_UP]: "follow-up",
};

export function runTitle(run: Run): string {
  // Lists send runs without their spec; the summary's 200 characters of prompt are enough here.
  const full = run.spec?.prompt ?? run.specSummary?.prompt ?? "";
  const prompt = full.trim();
  // An ad-hoc run without a name gets the prompt's first 60 characters from the server, cut
  // mid-word; the prompt itself reads better.
  const defaulted = !run.jobId && full.replace(/\s+/g, " ").slice(0, 60) === run.jobName;
  if (run.jobName && !defaulted) return run.jobName;
  const firstLine = (prompt.split("\n")[0] ?? "").trim();
  return firstLine.length > 80 ? `${firstLine.slice(0, 77)}…` : firstLine || "Ad-hoc run";
}
