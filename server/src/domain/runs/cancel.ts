import type { JobRunRow } from "../../storage/entities";
import type { RunStore } from "../../storage/run-store";
import { cancelMessage } from "../dispatch/messages";
import type { Registry } from "../dispatch/registry";
import type { EventBus } from "../events";

export interface CancelDeps {
  runs: RunStore;
  registry: Registry;
  events: EventBus;
}

/**
 * Cancels a run that has not ended: a queued run ends at once; a held one is marked and its worker
 * told to stop the agent (SIGTERM, then SIGKILL) and report the outcome; if that worker is gone,
 * the lost-worker lease ends the run as cancelled. Returns false if the run had already ended.
 * Shared by RunService.CancelRun and the scheduler's cancel_previous overlap policy.
 */
export async function cancelRun(deps: CancelDeps, row: JobRunRow, reason: string, now = Date.now()): Promise<boolean> {
  if (await deps.runs.cancelQueued(row.id, reason, now)) {
    deps.events.emit("runChanged", row.id, "cancelled");
    return true;
  }
  if (await deps.runs.markCancelRequested(row.id, reason, now)) {
    deps.registry.holderOf(row.id)?.sendQueue.push(cancelMessage(row.id, reason, false));
    deps.events.emit("runChanged", row.id, row.status);
    return true;
  }
  return false;
}
