import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { useNow } from "../hooks/useNow";
import { absoluteTime, relativeTime, tsToDate } from "../lib/format";

export function RelativeTime({ ts, date, className }: { ts?: Timestamp; date?: Date; className?: string }) {
  // The shared tick only triggers re-renders; render reads the real clock so fresh items never
  // look like they are in the future.
  useNow();
  const d = date ?? tsToDate(ts);
  if (!d) return <span className={`text-zinc-400 ${className ?? ""}`}>—</span>;
  return (
    <time dateTime={d.toISOString()} title={absoluteTime(d)} className={className}>
      {relativeTime(d, Date.now())}
    </time>
  );
}
