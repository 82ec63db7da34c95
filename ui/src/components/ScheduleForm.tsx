import { useId, useState, type FormEvent } from "react";
import { skipToken, useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { JobService } from "../gen/flightcontrol/v1/job_pb";
import { MisfirePolicy, OverlapPolicy, ScheduleService, type Schedule } from "../gen/flightcontrol/v1/schedule_pb";
import { FieldErrors, type FieldViolation } from "../lib/errors";
import { localTimeZone, timeZones } from "../lib/cron";
import { invalidateService } from "../lib/invalidate";
import { checkValues, initialValues, valuesToSend } from "../lib/parameter-values";
import { MISFIRE_OPTIONS, OVERLAP_OPTIONS } from "../lib/schedule-labels";
import { Field } from "./Field";
import { CronPreview } from "./CronPreview";
import { ErrorBanner } from "./ErrorBanner";
import { FormFooter } from "./FormFooter";
import { FieldGroup } from "./Field";
import { ParameterValuesFields } from "./ParameterValuesFields";

const PRESETS: [string, string][] = [
  ["*/5 * * * *", "every 5 min"],
  ["0 * * * *", "hourly"],
  ["0 9 * * *", "daily 09:00"],
  ["0 9 * * 1-5", "weekdays 09:00"],
  ["0 0 * * 0", "weekly"],
];

const CLAIMED = ["job_id", "name", "cron", "time_zone", "misfire_policy", "overlap_policy", "parameters"];

/** Create a schedule, or edit one when `schedule` is given. */
export function ScheduleForm({ schedule, initialJobId, onDone }: { schedule?: Schedule; initialJobId?: string; onDone: () => void }) {
  const queryClient = useQueryClient();
  const jobs = useQuery(JobService.method.listJobs, { pageSize: 500 });
  const zoneList = useId();
  const [jobId, setJobId] = useState(schedule?.jobId ?? initialJobId ?? "");
  const [name, setName] = useState(schedule?.name ?? "");
  const [cron, setCron] = useState(schedule?.cron ?? "0 9 * * 1-5");
  const [timeZone, setTimeZone] = useState(schedule?.timeZone || (schedule ? "UTC" : localTimeZone()));
  const [misfire, setMisfire] = useState(schedule?.misfirePolicy || MisfirePolicy.SKIP);
  const [overlap, setOverlap] = useState(schedule?.overlapPolicy || OverlapPolicy.ALLOW);
  const [paused, setPaused] = useState(false);
  // The job's parameters decide the fields; values typed (or stored) for another job are ignored.
  const job = useQuery(JobService.method.getJob, jobId ? { id: jobId } : skipToken);
  const params = job.data?.job?.spec?.parameters ?? [];
  const [typed, setTyped] = useState<Record<string, string>>(() => ({ ...schedule?.parameters }));
  const values = initialValues(params, typed);
  const [problems, setProblems] = useState<FieldViolation[]>([]);

  const opts = {
    onSuccess: () => {
      invalidateService(queryClient, ScheduleService);
      onDone();
    },
  };
  const create = useMutation(ScheduleService.method.createSchedule, opts);
  const update = useMutation(ScheduleService.method.updateSchedule, opts);
  const mutation = schedule ? update : create;
  const errors = problems.length ? FieldErrors.fromViolations(problems) : FieldErrors.of(mutation.error);

  function submit(e: FormEvent) {
    e.preventDefault();
    const found = checkValues(params, values);
    setProblems(found);
    if (found.length) return;
    const parameters = valuesToSend(params, values);
    const body = { name: name.trim(), cron: cron.trim(), timeZone, misfirePolicy: misfire, overlapPolicy: overlap, parameters };
    // Until the job's parameters are known the stored values are kept rather than replaced by none.
    if (schedule) update.mutate({ id: schedule.id, ...body, updateParameters: !!job.data });
    else create.mutate({ jobId, paused, ...body });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4 p-4" aria-label={schedule ? "Edit schedule" : "New schedule"}>
      <ErrorBanner error={problems.length ? problems : mutation.error} fieldErrors={errors} claimed={CLAIMED} />
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <div className="space-y-3">
          <Field label="Job" name="job_id" error={errors.get("job_id")}>
            {(a) => (
              <select {...a} className="input" value={jobId} onChange={(e) => setJobId(e.target.value)} disabled={!!schedule}>
                <option value="">Choose a job…</option>
                {jobs.data?.jobs.map((j) => (
                  <option key={j.id} value={j.id}>
                    {j.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Name" name="name" error={errors.get("name")}>
            {(a) => <input {...a} className="input" value={name} placeholder="weekday-morning" onChange={(e) => setName(e.target.value)} />}
          </Field>
          <Field
            label="Cron"
            name="cron"
            error={errors.get("cron")}
            hint={
              <span className="flex flex-wrap gap-1">
                {PRESETS.map(([expr, label]) => (
                  <button
                    key={expr}
                    type="button"
                    className="rounded bg-zinc-100 px-1.5 py-0.5 text-zinc-700 hover:bg-zinc-200"
                    onClick={() => setCron(expr)}
                  >
                    {label}
                  </button>
                ))}
              </span>
            }
          >
            {(a) => <input {...a} className="input font-mono" value={cron} onChange={(e) => setCron(e.target.value)} />}
          </Field>
          <Field label="Time zone" name="time_zone" error={errors.get("time_zone")} hint="IANA name, e.g. Europe/Berlin.">
            {(a) => (
              <>
                <input {...a} className="input" list={zoneList} value={timeZone} onChange={(e) => setTimeZone(e.target.value)} />
                <datalist id={zoneList}>
                  {timeZones().map((z) => (
                    <option key={z} value={z} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
        </div>
        <div className="space-y-3">
          <div>
            <div className="mb-1 text-xs font-medium text-zinc-700">Preview</div>
            <CronPreview cron={cron} timeZone={timeZone} />
          </div>
          <Field label="Missed firings" name="misfire_policy" error={errors.get("misfire_policy")}>
            {(a) => (
              <select {...a} className="input" value={misfire} onChange={(e) => setMisfire(Number(e.target.value))}>
                {MISFIRE_OPTIONS.map(([v, l]) => (
                  <option key={v} value={v}>
                    {l}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="When the previous run is still active" name="overlap_policy" error={errors.get("overlap_policy")}>
            {(a) => (
              <select {...a} className="input" value={overlap} onChange={(e) => setOverlap(Number(e.target.value))}>
                {OVERLAP_OPTIONS.map(([v, l]) => (
                  <option key={v} value={v}>
                    {l}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {params.length > 0 && (
            <FieldGroup label="Parameter values" name="parameters" hint="Every run this schedule starts gets these values.">
              <ParameterValuesFields params={params} values={values} onChange={setTyped} errors={errors} />
            </FieldGroup>
          )}
          {!schedule && (
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" className="accent-indigo-600" checked={paused} onChange={(e) => setPaused(e.target.checked)} />
              Create paused
            </label>
          )}
        </div>
      </div>
      <FormFooter onCancel={onDone} busy={mutation.isPending}>
        {schedule ? "Save schedule" : "Create schedule"}
      </FormFooter>
    </form>
  );
}
