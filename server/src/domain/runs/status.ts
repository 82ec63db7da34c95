import { RunStatus, TriggerKind } from "../../gen/flightcontrol/v1/run_pb";
import type { RunStatusColumn, TriggerColumn } from "../../storage/entities";

export type { RunStatusColumn } from "../../storage/entities";

/** Not ended: waiting in the queue or held by a worker. */
export const ACTIVE: ReadonlySet<RunStatusColumn> = new Set(["queued", "assigned", "running"]);
export const TERMINAL: ReadonlySet<RunStatusColumn> = new Set(["succeeded", "failed", "cancelled", "timed_out", "lost"]);

export const isActive = (s: RunStatusColumn): boolean => ACTIVE.has(s);
export const isTerminal = (s: RunStatusColumn): boolean => TERMINAL.has(s);

export const statusToColumn = (s: RunStatus): RunStatusColumn => RunStatus[s].toLowerCase() as RunStatusColumn;
export const statusFromColumn = (s: RunStatusColumn): RunStatus => RunStatus[s.toUpperCase() as keyof typeof RunStatus] ?? RunStatus.UNSPECIFIED;

export const triggerToColumn = (t: TriggerKind): TriggerColumn => TriggerKind[t].toLowerCase() as TriggerColumn;
export const triggerFromColumn = (s: TriggerColumn): TriggerKind =>
  TriggerKind[s.toUpperCase() as keyof typeof TriggerKind] ?? TriggerKind.UNSPECIFIED;
