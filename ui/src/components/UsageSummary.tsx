import type { Usage } from "../gen/flightcontrol/v1/run_pb";
import { cost, tokens } from "../lib/format";

export function UsageSummary({ usage, compact }: { usage: Usage | undefined; compact?: boolean }) {
  if (!usage) return compact ? null : <span className="text-xs text-zinc-500">No usage reported.</span>;
  const total = usage.totalTokens || usage.inputTokens + usage.outputTokens;
  const cells: [string, string][] = [
    ["Input", tokens(usage.inputTokens)],
    ["Output", tokens(usage.outputTokens)],
    ["Total", tokens(total)],
    ["Cost", cost(usage.costUsd)],
  ];
  return (
    <dl className={`flex flex-wrap ${compact ? "gap-3" : "gap-5"} text-xs`} data-testid="usage-summary">
      {cells.map(([k, v]) => (
        <div key={k} className="flex items-baseline gap-1">
          <dt className="text-zinc-500">{k}</dt>
          <dd className="font-mono font-medium text-zinc-900" data-usage={k.toLowerCase()}>
            {v}
          </dd>
        </div>
      ))}
    </dl>
  );
}
