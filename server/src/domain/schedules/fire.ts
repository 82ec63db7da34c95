import { TriggerKind } from "../../gen/flightcontrol/v1/run_pb";
import { specFromJson } from "../../storage/codecs";
import type { JobDefinitionRow, ScheduleRow } from "../../storage/entities";
import type { RunStore } from "../../storage/run-store";
import { cancelRun, type CancelDeps } from "../runs/cancel";
import type { Lifecycle } from "../runs/lifecycle";
import { isActive } from "../runs/status";
import { nextAfter } from "./cron";
import { applyParameters } from "../parameters/apply-parameters";
import type { ScheduleStore } from "../../storage/schedule-store";

export interface FireDeps {
  store: ScheduleStore;
  /** The schedule's job, looked up in the schedule's workspace. */
  getJob(workspaceId: string, id: string): Promise<JobDefinitionRow | null>;
  runs: RunStore;
  lifecycle: Pick<Lifecycle, "createRun">;
  cancel: CancelDeps;
  misfireToleranceMs: number;
}

export type FireOutcome =
  | { kind: "created"; runId: string; catchUp: boolean }
  | { kind: "missed" | "overlap_skipped" | "claimed_elsewhere" | "job_gone" };

/**
 * Handles one due firing of `s` (its `nextRunAt`) at `now`. Every branch moves `next_run_at` with
 * the one atomic claim, so the firing is handled once however many loops race for it. The run is
 * created only after the claim succeeds, which makes a firing at-most-once: a crash between claim
 * and insert loses that one firing rather than ever running it twice.
 *
 * A firing is *missed* when the scheduler's sweep that found it began (`lookedAt`) more than
 * `misfireToleranceMs` after its due time: the server was down or stopped, so nobody claimed it.
 * Anything less late is an ordinary firing that timer jitter, a busy event loop or a quick restart
 * delayed a little, and runs as usual; so is one that waited behind thousands of others due on the
 * same second, since the sweep began in time. For a missed firing, `skip` creates nothing and
 * `run_once` creates one catch-up run now; both then jump to the first fire time after `now`, so
 * however many firings were missed they count once.
 */
export async function fire(deps: FireDeps, s: ScheduleRow, now: number, lookedAt = now): Promise<FireOutcome> {
  const due = s.nextRunAt!;
  const missed = lookedAt - due > deps.misfireToleranceMs;
  const claim = (next: number | null, lastRunAt: number | null) => deps.store.claim(s.id, due, next, lastRunAt);

  if (missed && s.misfirePolicy !== "run_once") {
    return { kind: (await claim(nextAfter(s.cron, s.timeZone, now), null)) ? "missed" : "claimed_elsewhere" };
  }
  const next = nextAfter(s.cron, s.timeZone, missed ? now : due);
  // A catch-up run happens now, and "last run" should say so rather than name a long-gone due time.
  const firedAt = missed ? now : due;

  const previous = s.overlapPolicy !== "allow" && s.lastRunId ? await deps.runs.get(s.lastRunId) : null;
  const overlapping = previous && isActive(previous.status) ? previous : null;
  if (overlapping && s.overlapPolicy === "skip") {
    return { kind: (await claim(next, null)) ? "overlap_skipped" : "claimed_elsewhere" };
  }
  if (!(await claim(next, firedAt))) return { kind: "claimed_elsewhere" };

  if (overlapping) await cancelRun(deps.cancel, overlapping, `cancelled: schedule "${s.name}" started its next run`);
  // The job may have been deleted since the schedule was read (its schedules go with it).
  const job = await deps.getJob(s.workspaceId, s.jobId);
  if (!job) return { kind: "job_gone" };
  const labels: Record<string, string> = { schedule: s.name, scheduled_time: new Date(due).toISOString() };
  if (missed) labels.catch_up = "true";
  // The values were checked when the schedule was saved, but the job may have changed since: a
  // refusal now is the firing's error (the scheduler logs it), as any other failure to create.
  const applied = applyParameters(specFromJson(job.spec), JSON.parse(s.parameters || "{}"), `schedule "${s.name}" parameters`);
  const run = await deps.lifecycle.createRun({
    workspaceId: s.workspaceId,
    spec: applied.spec,
    jobId: job.id,
    jobName: job.name,
    trigger: TriggerKind.SCHEDULE,
    scheduleId: s.id,
    labels,
    parameters: applied.values,
  });
  await deps.store.recordRun(s.id, firedAt, run.id);
  return { kind: "created", runId: run.id, catchUp: missed };
}
