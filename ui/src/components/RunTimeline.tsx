import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Run } from "../gen/flightcontrol/v1/run_pb";
import { absoluteTime, between, duration, tsToDate } from "../lib/format";
import { isActive } from "../lib/run-status";
import { useNow } from "../hooks/useNow";
import { RelativeTime } from "./RelativeTime";

interface Step {
  label: string;
  ts: Timestamp | undefined;
  /** Time spent before this step, e.g. queue wait before assignment. */
  gap?: number;
}

/** Created → assigned → started → finished, with how long each stage took. */
export function RunTimeline({ run }: { run: Run }) {
  // The stage in progress shows a ticking duration.
  useNow(isActive(run.status) ? 1000 : 10_000);
  const now = isActive(run.status) ? Date.now() : undefined;
  const steps: Step[] = [
    { label: "Created", ts: run.createTime },
    { label: "Assigned", ts: run.assignTime, gap: between(run.createTime, run.assignTime) },
    { label: "Started", ts: run.startTime, gap: between(run.assignTime, run.startTime) },
    { label: "Finished", ts: run.finishTime, gap: between(run.startTime, run.finishTime) },
  ];
  const available = tsToDate(run.availableTime);
  return (
    <ol className="flex flex-wrap items-stretch gap-0" data-testid="run-timeline">
      {steps.map((s, i) => {
        const d = tsToDate(s.ts);
        const pending = !d;
        const running = pending && i > 0 && !!tsToDate(steps[i - 1]!.ts) && now !== undefined;
        return (
          <li key={s.label} className="flex items-start">
            {i > 0 && (
              // The connector runs at the height of the dots; the stage's duration sits under it.
              <div className="flex w-20 flex-col items-center px-2 pt-[7px] text-[11px] text-zinc-500">
                <span className={`h-px w-full ${pending ? "bg-zinc-200" : "bg-indigo-300"}`} />
                <span className="mt-1.5 tabular-nums">
                  {s.gap !== undefined ? duration(s.gap) : running ? duration(between(steps[i - 1]!.ts, undefined, now)) : ""}
                </span>
              </div>
            )}
            <div className="min-w-24" data-step={s.label.toLowerCase()}>
              <div className="flex items-center gap-1.5 text-xs font-medium text-zinc-700">
                <span
                  className={`size-2 rounded-full ${pending ? (running ? "animate-pulse bg-blue-500" : "bg-zinc-200") : "bg-indigo-500"}`}
                  aria-hidden
                />
                {s.label}
              </div>
              <div className="pl-3.5 text-xs text-zinc-500" title={d ? absoluteTime(d) : undefined}>
                {d ? <RelativeTime date={d} /> : "—"}
              </div>
            </div>
          </li>
        );
      })}
      {available && available.getTime() > Date.now() && (
        <li className="ml-4 self-center text-xs text-amber-700">
          next attempt not before <RelativeTime date={available} />
        </li>
      )}
    </ol>
  );
}
