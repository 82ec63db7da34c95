import { MisfirePolicy, OverlapPolicy } from "../../gen/flightcontrol/v1/schedule_pb";
import type { MisfireColumn, OverlapColumn } from "../../storage/entities";

export type { MisfireColumn, OverlapColumn } from "../../storage/entities";

// UNSPECIFIED means the default: skip missed firings (cron's own behaviour), allow overlap.
export const misfireToColumn = (p: MisfirePolicy): MisfireColumn => (p === MisfirePolicy.RUN_ONCE ? "run_once" : "skip");
export const misfireFromColumn = (s: MisfireColumn): MisfirePolicy => (s === "run_once" ? MisfirePolicy.RUN_ONCE : MisfirePolicy.SKIP);

export function overlapToColumn(p: OverlapPolicy): OverlapColumn {
  if (p === OverlapPolicy.SKIP) return "skip";
  if (p === OverlapPolicy.CANCEL_PREVIOUS) return "cancel_previous";
  return "allow";
}
export const overlapFromColumn = (s: OverlapColumn): OverlapPolicy =>
  s === "skip" ? OverlapPolicy.SKIP : s === "cancel_previous" ? OverlapPolicy.CANCEL_PREVIOUS : OverlapPolicy.ALLOW;
