import { RunStatus } from "../gen/flightcontrol/v1/run_pb";
import { WorkerState } from "../gen/flightcontrol/v1/worker_pb";
import { RUN_STATUS_STYLE } from "../lib/run-status";

const base = "inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset whitespace-nowrap";

export function RunStatusBadge({ status, cancelRequested }: { status: RunStatus; cancelRequested?: boolean }) {
  const s = RUN_STATUS_STYLE[status] ?? RUN_STATUS_STYLE[RunStatus.UNSPECIFIED];
  return (
    <span className={`${base} ${s.badge}`} data-status={s.label}>
      <span className={`size-1.5 rounded-full ${s.dot}`} aria-hidden />
      {s.label}
      {cancelRequested && status < RunStatus.SUCCEEDED ? " · cancelling" : ""}
    </span>
  );
}

const WORKER_STYLE: Record<WorkerState, { label: string; badge: string; dot: string }> = {
  [WorkerState.UNSPECIFIED]: { label: "unknown", badge: "bg-zinc-100 text-zinc-600 ring-zinc-300", dot: "bg-zinc-400" },
  [WorkerState.ONLINE]: { label: "online", badge: "bg-emerald-50 text-emerald-700 ring-emerald-300", dot: "bg-emerald-500" },
  [WorkerState.DRAINING]: { label: "draining", badge: "bg-amber-50 text-amber-800 ring-amber-300", dot: "bg-amber-500" },
  [WorkerState.OFFLINE]: { label: "offline", badge: "bg-zinc-100 text-zinc-500 ring-zinc-300", dot: "bg-zinc-400" },
};

export function WorkerStateBadge({ state }: { state: WorkerState }) {
  const s = WORKER_STYLE[state] ?? WORKER_STYLE[WorkerState.UNSPECIFIED];
  return (
    <span className={`${base} ${s.badge}`} data-state={s.label}>
      <span className={`size-1.5 rounded-full ${s.dot}`} aria-hidden />
      {s.label}
    </span>
  );
}

export function Chip({ children, tone = "zinc" }: { children: React.ReactNode; tone?: "zinc" | "indigo" | "amber" }) {
  const tones = {
    zinc: "bg-zinc-100 text-zinc-700 ring-zinc-200",
    indigo: "bg-indigo-50 text-indigo-700 ring-indigo-200",
    amber: "bg-amber-50 text-amber-800 ring-amber-200",
  };
  return <span className={`inline-flex items-center rounded px-1.5 py-0.5 font-mono text-[11px] ring-1 ring-inset ${tones[tone]}`}>{children}</span>;
}
