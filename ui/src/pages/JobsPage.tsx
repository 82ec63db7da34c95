import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useInfiniteQuery, useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { JobService, type Job } from "../gen/flightcontrol/v1/job_pb";
import { useAuth } from "../hooks/useAuth";
import { useDebounced } from "../hooks/useDebounced";
import { invalidateService } from "../lib/invalidate";
import { PageHeader, Section, Loading, EmptyState } from "../components/PageHeader";
import { RelativeTime } from "../components/RelativeTime";
import { ErrorBanner, InlineError } from "../components/ErrorBanner";
import { Button, buttonClass } from "../components/Button";
import { LoadMore } from "../components/LoadMore";
import { ConfirmButton } from "../components/ConfirmButton";
import { Dialog } from "../components/Dialog";
import { ImportRecipeForm } from "../components/ImportRecipeForm";
import { RunJobButton } from "../components/RunJobButton";

export function JobsPage() {
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const search = params.get("q") ?? "";
  const query = useDebounced(search.trim(), 250);
  const jobs = useInfiniteQuery(
    JobService.method.listJobs,
    { query, pageSize: 50, pageToken: "" },
    { pageParamKey: "pageToken", getNextPageParam: (last) => last.nextPageToken || undefined, placeholderData: (prev) => prev },
  );
  const list = jobs.data?.pages.flatMap((p) => p.jobs) ?? [];
  const [importing, setImporting] = useState(false);

  return (
    <div>
      <PageHeader
        title="Jobs"
        subtitle="Reusable agent tasks: run them now, or on a schedule."
        actions={
          can("jobs:write") && (
            <>
              <Button onClick={() => setImporting(true)}>Import Goose recipe</Button>
              <Link to="/jobs/new" className={buttonClass("primary")}>
                New job
              </Link>
            </>
          )
        }
      />
      <div className="mb-3">
        <input
          type="search"
          className="input max-w-sm"
          placeholder="Search jobs by name…"
          aria-label="Search jobs"
          value={search}
          onChange={(e) => setParams(e.target.value ? { q: e.target.value } : {}, { replace: true })}
        />
      </div>
      <ErrorBanner error={jobs.error} />
      <Section>
        {jobs.isPending ? (
          <Loading />
        ) : list.length === 0 ? (
          <EmptyState>{query ? `No job matches “${query}”.` : "No jobs yet."}</EmptyState>
        ) : (
          <table className="table-dense" data-testid="job-table">
            <thead>
              <tr>
                <th>Name</th>
                <th className="w-28">Agent</th>
                <th className="w-56">Provider · model</th>
                <th className="w-28">Updated</th>
                <th className="w-56" />
              </tr>
            </thead>
            <tbody>
              {list.map((j) => (
                <JobRow key={j.id} job={j} />
              ))}
            </tbody>
          </table>
        )}
        <LoadMore hasMore={jobs.hasNextPage} loading={jobs.isFetchingNextPage} onLoad={() => void jobs.fetchNextPage()} />
      </Section>
      <Dialog open={importing} onClose={() => setImporting(false)} title="Import a Goose recipe" wide>
        {importing && <ImportRecipeForm onDone={() => setImporting(false)} />}
      </Dialog>
    </div>
  );
}

function JobRow({ job }: { job: Job }) {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const del = useMutation(JobService.method.deleteJob, { onSuccess: () => invalidateService(queryClient, JobService) });
  return (
    <tr data-job-id={job.id}>
      <td className="max-w-0">
        <Link to={`/jobs/${job.id}`} className="block truncate font-medium text-zinc-900 hover:text-indigo-700">
          {job.name}
        </Link>
        {job.description && <span className="block truncate text-xs text-zinc-500">{job.description}</span>}
      </td>
      <td className="text-xs text-zinc-600">{job.specSummary?.agent}</td>
      <td className="truncate font-mono text-xs text-zinc-600">
        {job.specSummary?.agent === "shell" ? (
          <span className="text-zinc-400">—</span>
        ) : (
          [job.specSummary?.provider, job.specSummary?.model].filter(Boolean).join(" · ") || "agent default"
        )}
      </td>
      <td className="text-xs text-zinc-600">
        <RelativeTime ts={job.updateTime ?? job.createTime} />
      </td>
      <td>
        <div className="flex items-center justify-end gap-1.5">
          <InlineError error={del.error} />
          {can("runs:write") && <RunJobButton job={job} size="sm" />}
          {can("jobs:write") && (
            <>
              <Link to={`/jobs/${job.id}/edit`} className={buttonClass("ghost", "sm")}>
                Edit
              </Link>
              <ConfirmButton size="sm" variant="ghost" onConfirm={() => del.mutate({ id: job.id })} busy={del.isPending} confirmLabel="Delete job?">
                Delete
              </ConfirmButton>
            </>
          )}
        </div>
      </td>
    </tr>
  );
}
