import { create } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Type } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { ViolationsSchema } from "../gen/buf/validate/validate_pb";
import { ScheduleSchema, type ScheduleService, type Schedule } from "../gen/flightcontrol/v1/schedule_pb";
import { notFound } from "../domain/errors";
import { newId } from "../domain/ids";
import { canonicalTimeZone, checkTiming, nextAfter, upcoming, type TimingProblem } from "../domain/schedules/cron";
import { misfireFromColumn, misfireToColumn, overlapFromColumn, overlapToColumn } from "../domain/schedules/policies";
import type { Scheduler } from "../domain/schedules/scheduler";
import type { ScheduleRow } from "../storage/entities";
import type { JobStore } from "../storage/job-store";
import type { ScheduleStore } from "../storage/schedule-store";
import { ts } from "./convert";
import { workspaceOf } from "./interceptors/auth";
import { applyParameters } from "../domain/parameters/apply-parameters";
import { specFromJson } from "../storage/codecs";

const UPCOMING = 5;
// Field numbers are the same in CreateScheduleRequest and UpdateScheduleRequest.
const FIELD_NUMBERS = { cron: 3, time_zone: 4 } as const;

export function scheduleToProto(row: ScheduleRow): Schedule {
  return create(ScheduleSchema, {
    id: row.id,
    jobId: row.jobId,
    name: row.name,
    cron: row.cron,
    timeZone: row.timeZone,
    paused: Boolean(row.paused),
    misfirePolicy: misfireFromColumn(row.misfirePolicy),
    overlapPolicy: overlapFromColumn(row.overlapPolicy),
    // A paused schedule has no fire times until it is resumed.
    nextRunTime: row.paused ? undefined : ts(row.nextRunAt),
    upcomingTimes: row.paused || row.nextRunAt === null ? [] : upcoming(row.cron, row.timeZone, row.nextRunAt, UPCOMING).map((t) => ts(t)!),
    lastRunTime: ts(row.lastRunAt),
    lastRunId: row.lastRunId ?? "",
    createTime: ts(row.createdAt),
    updateTime: ts(row.updatedAt),
    parameters: JSON.parse(row.parameters || "{}"),
  });
}

/** InvalidArgument shaped like protovalidate's, so clients show the reason at the field. */
function invalidTiming(problems: TimingProblem[]): ConnectError {
  const violations = create(ViolationsSchema, {
    violations: problems.map((p) => ({
      field: { elements: [{ fieldNumber: FIELD_NUMBERS[p.field], fieldName: p.field, fieldType: FieldDescriptorProto_Type.STRING }] },
      ruleId: `${p.field}.valid`,
      message: p.message,
    })),
  });
  const text = problems.map((p) => `${p.field}: ${p.message}`).join("; ");
  return new ConnectError(text, Code.InvalidArgument, undefined, [{ desc: ViolationsSchema, value: violations }]);
}

/** Trimmed cron and canonical zone, or InvalidArgument naming every bad field. */
function timing(cron: string, timeZone: string): { cron: string; timeZone: string } {
  const problems = checkTiming(cron, timeZone);
  if (problems.length) throw invalidTiming(problems);
  return { cron: cron.trim(), timeZone: canonicalTimeZone(timeZone)! };
}

export interface ScheduleServiceDeps {
  schedules: ScheduleStore;
  jobs: Pick<JobStore, "get">;
  /** Its clock dates changes, and it re-arms its timer after each. */
  scheduler: Pick<Scheduler, "now" | "changed">;
}

export function scheduleService({ schedules: store, jobs, scheduler }: ScheduleServiceDeps): ServiceImpl<typeof ScheduleService> {
  const get = async (ws: string, id: string) => {
    const row = await store.get(ws, id);
    if (!row) throw notFound("schedule", id);
    return row;
  };
  /** The values as stored, once they fit the job's parameters (InvalidArgument naming the parameter). */
  const checkedParameters = async (ws: string, jobId: string, values: Record<string, string>) => {
    const job = await jobs.get(ws, jobId);
    if (!job) throw notFound("job", jobId);
    return JSON.stringify(applyParameters(specFromJson(job.spec), values).values);
  };
  // Every change re-arms the scheduler's one timer, which may now be due sooner (or never).
  const changed = async (ws: string, id: string) => {
    scheduler.changed();
    return { schedule: scheduleToProto(await get(ws, id)) };
  };

  return {
    async createSchedule(req, ctx) {
      const ws = workspaceOf(ctx);
      const t = timing(req.cron, req.timeZone);
      // The job must be of this workspace: checkedParameters reads it there (NotFound otherwise).
      const parameters = await checkedParameters(ws, req.jobId, req.parameters);
      const now = scheduler.now();
      const row: ScheduleRow = {
        id: newId(now),
        jobId: req.jobId,
        name: req.name,
        ...t,
        paused: req.paused,
        misfirePolicy: misfireToColumn(req.misfirePolicy),
        overlapPolicy: overlapToColumn(req.overlapPolicy),
        nextRunAt: req.paused ? null : nextAfter(t.cron, t.timeZone, now),
        lastRunAt: null,
        lastRunId: null,
        createdAt: now,
        updatedAt: now,
        parameters,
        workspaceId: ws,
      };
      // The job may still go away before the insert: the store reports that as NotFound too.
      await store.insert(row);
      return changed(ws, row.id);
    },

    async getSchedule(req, ctx) {
      return { schedule: scheduleToProto(await get(workspaceOf(ctx), req.id)) };
    },

    async listSchedules(req, ctx) {
      return { schedules: (await store.list(workspaceOf(ctx), req.jobId || undefined)).map(scheduleToProto) };
    },

    async updateSchedule(req, ctx) {
      const ws = workspaceOf(ctx);
      const row = await get(ws, req.id);
      const now = scheduler.now();
      const t = timing(req.cron ?? row.cron, req.timeZone ?? row.timeZone);
      const patch: Parameters<typeof store.update>[2] = { ...t, updatedAt: now };
      if (req.name !== undefined) patch.name = req.name;
      if (req.misfirePolicy !== undefined) patch.misfirePolicy = misfireToColumn(req.misfirePolicy);
      if (req.overlapPolicy !== undefined) patch.overlapPolicy = overlapToColumn(req.overlapPolicy);
      if (req.updateParameters) patch.parameters = await checkedParameters(ws, row.jobId, req.parameters);
      // New timing starts from now; otherwise the pending firing stays as it is (and may be claimed
      // meanwhile, which this update must not undo).
      if (!row.paused && (t.cron !== row.cron || t.timeZone !== row.timeZone)) patch.nextRunAt = nextAfter(t.cron, t.timeZone, now);
      if (!(await store.update(ws, row.id, patch))) throw notFound("schedule", req.id);
      return changed(ws, row.id);
    },

    async deleteSchedule(req, ctx) {
      if (!(await store.remove(workspaceOf(ctx), req.id))) throw notFound("schedule", req.id);
      scheduler.changed();
      return {};
    },

    async pauseSchedule(req, ctx) {
      const ws = workspaceOf(ctx);
      if (!(await store.pause(ws, req.id, scheduler.now()))) throw notFound("schedule", req.id);
      return changed(ws, req.id);
    },

    async resumeSchedule(req, ctx) {
      const ws = workspaceOf(ctx);
      const row = await get(ws, req.id);
      // Firings that fell in the pause are not "missed": the schedule simply carries on from now.
      if (row.paused) {
        const now = scheduler.now();
        await store.resume(ws, row.id, nextAfter(row.cron, row.timeZone, now), now);
      }
      return changed(ws, row.id);
    },
  };
}
