import { MisfirePolicy, OverlapPolicy } from "../../gen/flightcontrol/v1/schedule_pb";

/** Policies as stored: the enum name without its prefix, lower case ("run_once", "cancel_previous"). */
export type MisfireColumn = "skip" | "run_once";
export type OverlapColumn = "allow" | "skip" | "cancel_previous";

// UNSPECIFIED means the default: skip missed firings (cron's own behaviour), allow overlap.
export const misfireToColumn = (p: MisfirePolicy): MisfireColumn => (p === MisfirePolicy.RUN_ONCE ? "run_once" : "skip");
export const misfireFromColumn = (s: string): MisfirePolicy => (s === "run_once" ? MisfirePolicy.RUN_ONCE : MisfirePolicy.SKIP);

export function overlapToColumn(p: OverlapPolicy): OverlapColumn {
  if (p === OverlapPolicy.SKIP) return "skip";
  if (p === OverlapPolicy.CANCEL_PREVIOUS) return "cancel_previous";
  return "allow";
}
export const overlapFromColumn = (s: string): OverlapPolicy =>
  s === "skip" ? OverlapPolicy.SKIP : s === "cancel_previous" ? OverlapPolicy.CANCEL_PREVIOUS : OverlapPolicy.ALLOW;
