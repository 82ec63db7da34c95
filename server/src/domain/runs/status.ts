import { RunStatus, TriggerKind } from "../../gen/flightcontrol/v1/run_pb";

/** Status as stored: the enum name without its prefix, lower case ("queued", "timed_out", …). */
export type StatusColumn = "queued" | "assigned" | "running" | "succeeded" | "failed" | "cancelled" | "timed_out" | "lost";

export const ACTIVE: readonly StatusColumn[] = ["queued", "assigned", "running"];
export const HELD: readonly StatusColumn[] = ["assigned", "running"];
export const TERMINAL: readonly StatusColumn[] = ["succeeded", "failed", "cancelled", "timed_out", "lost"];

export const isTerminal = (s: string): boolean => (TERMINAL as readonly string[]).includes(s);

export const statusToColumn = (s: RunStatus): StatusColumn => RunStatus[s].toLowerCase() as StatusColumn;
export const statusFromColumn = (s: string): RunStatus =>
  RunStatus[s.toUpperCase() as keyof typeof RunStatus] ?? RunStatus.UNSPECIFIED;

export const triggerToColumn = (t: TriggerKind): string => TriggerKind[t].toLowerCase();
export const triggerFromColumn = (s: string): TriggerKind =>
  TriggerKind[s.toUpperCase() as keyof typeof TriggerKind] ?? TriggerKind.UNSPECIFIED;
