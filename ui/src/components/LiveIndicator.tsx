import type { StreamStatus } from "../lib/stream";

const STYLE: Record<StreamStatus, { label: string; dot: string; text: string }> = {
  connecting: { label: "Connecting", dot: "bg-zinc-400", text: "text-zinc-500" },
  live: { label: "Live", dot: "bg-emerald-500 animate-pulse", text: "text-emerald-700" },
  reconnecting: { label: "Reconnecting…", dot: "bg-amber-500", text: "text-amber-700" },
  ended: { label: "Finished", dot: "bg-zinc-400", text: "text-zinc-500" },
  failed: { label: "Disconnected", dot: "bg-red-500", text: "text-red-700" },
};

export function LiveIndicator({ status }: { status: StreamStatus }) {
  const s = STYLE[status];
  return (
    <span className={`inline-flex items-center gap-1.5 text-xs font-medium ${s.text}`} data-stream-status={status}>
      <span className={`size-2 rounded-full ${s.dot}`} aria-hidden />
      {s.label}
    </span>
  );
}
