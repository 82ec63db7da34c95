import { Link } from "react-router";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { ScheduleService, type Schedule } from "../gen/flightcontrol/v1/schedule_pb";
import { useAuth } from "../hooks/useAuth";
import { describeCron } from "../lib/cron";
import { invalidateService } from "../lib/invalidate";
import { absoluteTime, tsToDate } from "../lib/format";
import { compactValues } from "../lib/parameter-values";
import { RelativeTime } from "./RelativeTime";
import { EmptyState } from "./PageHeader";
import { Button } from "./Button";
import { ConfirmButton } from "./ConfirmButton";
import { InlineError } from "./ErrorBanner";

export function ScheduleTable({
  schedules,
  showJob = true,
  jobNames,
  onEdit,
}: {
  schedules: Schedule[];
  showJob?: boolean;
  jobNames?: Map<string, string>;
  onEdit?: (s: Schedule) => void;
}) {
  if (schedules.length === 0) return <EmptyState>No schedules.</EmptyState>;
  return (
    <div className="overflow-x-auto">
      <table className="table-dense" data-testid="schedule-table">
        <thead>
          <tr>
            <th>Name</th>
            {showJob && <th>Job</th>}
            <th>When</th>
            <th className="w-28">Next</th>
            <th className="w-28">Last</th>
            <th className="w-48" />
          </tr>
        </thead>
        <tbody>
          {schedules.map((s) => (
            <ScheduleRow key={s.id} schedule={s} showJob={showJob} jobName={jobNames?.get(s.jobId)} onEdit={onEdit} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ScheduleRow({
  schedule: s,
  showJob,
  jobName,
  onEdit,
}: {
  schedule: Schedule;
  showJob: boolean;
  jobName?: string;
  onEdit?: (s: Schedule) => void;
}) {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const opts = { onSuccess: () => invalidateService(queryClient, ScheduleService) };
  const pause = useMutation(ScheduleService.method.pauseSchedule, opts);
  const resume = useMutation(ScheduleService.method.resumeSchedule, opts);
  const del = useMutation(ScheduleService.method.deleteSchedule, opts);
  const upcoming = s.upcomingTimes.map((t) => absoluteTime(tsToDate(t), s.timeZone || "UTC")).join("\n");
  return (
    <tr data-schedule-id={s.id} className={s.paused ? "opacity-70" : ""}>
      <td className="font-medium">
        {s.name}
        {s.paused && <span className="ml-2 rounded bg-amber-100 px-1.5 py-0.5 text-[11px] font-medium text-amber-800">paused</span>}
        {Object.keys(s.parameters).length > 0 && (
          <span className="block font-mono text-[11px] font-normal text-zinc-500" title={compactValues(s.parameters, 1000)}>
            {compactValues(s.parameters)}
          </span>
        )}
      </td>
      {showJob && (
        <td className="text-xs">
          <Link to={`/jobs/${s.jobId}`} className="text-indigo-700 hover:underline">
            {jobName ?? s.jobId.slice(0, 8)}
          </Link>
        </td>
      )}
      <td className="text-xs">
        <code className="font-mono text-zinc-800">{s.cron}</code>
        <span className="ml-1 text-zinc-400">{s.timeZone || "UTC"}</span>
        <div className="text-zinc-500">{describeCron(s.cron).text}</div>
      </td>
      <td className="text-xs text-zinc-600" title={upcoming}>
        {s.paused ? "—" : <RelativeTime ts={s.nextRunTime} />}
      </td>
      <td className="text-xs text-zinc-600">
        {s.lastRunId ? (
          <Link to={`/runs/${s.lastRunId}`} className="text-indigo-700 hover:underline">
            <RelativeTime ts={s.lastRunTime} />
          </Link>
        ) : (
          <RelativeTime ts={s.lastRunTime} />
        )}
      </td>
      <td>
        {can("schedules:write") && (
          <div className="flex items-center justify-end gap-1">
            <InlineError error={pause.error ?? resume.error ?? del.error} />
            {s.paused ? (
              <Button size="sm" onClick={() => resume.mutate({ id: s.id })} busy={resume.isPending}>
                Resume
              </Button>
            ) : (
              <Button size="sm" onClick={() => pause.mutate({ id: s.id })} busy={pause.isPending}>
                Pause
              </Button>
            )}
            {onEdit && (
              <Button size="sm" variant="ghost" onClick={() => onEdit(s)}>
                Edit
              </Button>
            )}
            <ConfirmButton size="sm" variant="ghost" onConfirm={() => del.mutate({ id: s.id })} busy={del.isPending} confirmLabel="Delete?">
              Delete
            </ConfirmButton>
          </div>
        )}
      </td>
    </tr>
  );
}
