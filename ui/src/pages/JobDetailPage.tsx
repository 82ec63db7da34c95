import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { JobService } from "../gen/flightcontrol/v1/job_pb";
import { ScheduleService } from "../gen/flightcontrol/v1/schedule_pb";
import { useAuth } from "../hooks/useAuth";
import { useLiveRuns } from "../hooks/useLiveRuns";
import { invalidateService } from "../lib/invalidate";
import { shortId } from "../lib/format";
import { saveBlob } from "../lib/save-file";
import { PageHeader, Section, Loading } from "../components/PageHeader";
import { JobSpecView } from "../components/JobSpecView";
import { RunTable } from "../components/RunTable";
import { ScheduleTable } from "../components/ScheduleTable";
import { LiveIndicator } from "../components/LiveIndicator";
import { ErrorBanner, InlineError } from "../components/ErrorBanner";
import { Button, buttonClass } from "../components/Button";
import { LoadMore } from "../components/LoadMore";
import { ConfirmButton } from "../components/ConfirmButton";
import { RelativeTime } from "../components/RelativeTime";
import { RunJobButton } from "../components/RunJobButton";

export function JobDetailPage() {
  const { id = "" } = useParams();
  const { can } = useAuth();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const job = useQuery(JobService.method.getJob, { id });
  const schedules = useQuery(ScheduleService.method.listSchedules, { jobId: id });
  const runs = useLiveRuns({ jobId: id }, 25);

  const exportRecipe = useMutation(JobService.method.exportRecipe, {
    onSuccess: (res) => saveBlob(`${job.data?.job?.name || "recipe"}.yaml`, new Blob([res.recipe], { type: "application/yaml" })),
  });
  const del = useMutation(JobService.method.deleteJob, {
    onSuccess: () => {
      invalidateService(queryClient, JobService);
      navigate("/jobs");
    },
  });

  if (job.isPending) return <Loading />;
  if (job.error || !job.data.job) return <ErrorBanner error={job.error ?? new Error("Job not found")} />;
  const j = job.data.job;

  return (
    <div>
      <PageHeader
        title={j.name}
        subtitle={
          <span className="flex flex-wrap items-center gap-x-3">
            {j.description && <span>{j.description}</span>}
            <span className="font-mono text-xs text-zinc-400" title={j.id}>
              {shortId(j.id)}
            </span>
            <span className="text-xs text-zinc-500">
              updated <RelativeTime ts={j.updateTime ?? j.createTime} />
            </span>
          </span>
        }
        actions={
          <>
            <InlineError error={exportRecipe.error ?? del.error} />
            {j.spec?.agent === "goose" && (
              <Button variant="ghost" onClick={() => exportRecipe.mutate({ id })} busy={exportRecipe.isPending}>
                Export as recipe
              </Button>
            )}
            {can("jobs:write") && (
              <ConfirmButton variant="ghost" onConfirm={() => del.mutate({ id })} busy={del.isPending} confirmLabel="Delete job?">
                Delete
              </ConfirmButton>
            )}
            {can("jobs:write") && (
              <Link to={`/jobs/${id}/edit`} className={buttonClass("secondary")}>
                Edit
              </Link>
            )}
            {can("runs:write") && <RunJobButton job={j} variant="primary" />}
          </>
        }
      />
      <div className="grid grid-cols-1 gap-4 2xl:grid-cols-2">
        <Section title="Definition">
          <JobSpecView spec={j.spec} />
        </Section>
        <Section
          title="Schedules"
          actions={
            can("schedules:write") && (
              <Link to={`/schedules?new=1&job=${id}`} className={buttonClass("secondary", "sm")}>
                New schedule
              </Link>
            )
          }
        >
          <ErrorBanner error={schedules.error} />
          {schedules.isPending ? <Loading /> : <ScheduleTable schedules={schedules.data?.schedules ?? []} showJob={false} />}
        </Section>
      </div>
      <Section title="Run history" actions={<LiveIndicator status={runs.status} />} className="mt-4">
        <ErrorBanner error={runs.error} />
        {runs.isPending ? <Loading /> : <RunTable runs={runs.runs} showJob={false} empty="This job has not run yet." />}
        <LoadMore hasMore={runs.hasMore} loading={runs.loadingMore} onLoad={runs.loadMore} />
      </Section>
    </div>
  );
}
