import { useMemo } from "react";
import { describeCron, nextFireTimes } from "../lib/cron";

function formatIn(d: Date, timeZone: string): string {
  try {
    return d.toLocaleString(undefined, {
      timeZone,
      weekday: "short",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
  } catch {
    return d.toISOString();
  }
}

/** What a cron expression means in words, and when it fires next in the chosen zone. */
export function CronPreview({ cron, timeZone }: { cron: string; timeZone: string }) {
  const tz = timeZone || "UTC";
  const description = useMemo(() => describeCron(cron), [cron]);
  const next = useMemo(() => nextFireTimes(cron, tz, 5), [cron, tz]);
  if (!cron.trim()) return <p className="text-xs text-zinc-500">Five fields (minute hour day month weekday), or six with seconds first.</p>;
  return (
    <div className="rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2 text-xs" data-testid="cron-preview">
      {description.text ? (
        <p className="font-medium text-zinc-800" data-testid="cron-description">
          {description.text} <span className="font-normal text-zinc-500">({tz})</span>
        </p>
      ) : (
        <p className="text-red-700">{description.error ?? next.error}</p>
      )}
      {next.times.length > 0 && (
        <ol className="mt-1 space-y-0.5 font-mono text-zinc-600" data-testid="cron-next">
          {next.times.map((t) => (
            <li key={t.getTime()}>{formatIn(t, tz)}</li>
          ))}
        </ol>
      )}
      {!description.error && next.error && <p className="mt-1 text-red-700">{next.error}</p>}
    </div>
  );
}
