import type { Usage } from "../gen/flightcontrol/v1/run_pb";
import { usageCells } from "../lib/usage";

export function UsageSummary({ usage, compact }: { usage: Usage | undefined; compact?: boolean }) {
  if (!usage) return compact ? null : <span className="text-xs text-zinc-500">No usage reported.</span>;
  return (
    <dl className={`flex flex-wrap ${compact ? "gap-3" : "gap-5"} text-xs`} data-testid="usage-summary">
      {usageCells(usage).map((c) => (
        <div key={c.key} className="flex items-baseline gap-1">
          <dt className="text-zinc-500">{c.label}</dt>
          <dd className="font-mono font-medium text-zinc-900" data-usage={c.key}>
            {c.value}
          </dd>
        </div>
      ))}
    </dl>
  );
}
