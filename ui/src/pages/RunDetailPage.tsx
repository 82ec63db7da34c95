import { lazy, Suspense, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useMutation, useQuery, useTransport } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { RunService, RunStatus, TriggerKind, type Usage } from "../gen/flightcontrol/v1/run_pb";
import { useWatchRun } from "../hooks/useWatchRun";
import { useAuth } from "../hooks/useAuth";
import { fetchRunLogText, saveText } from "../lib/download-log";
import { errorMessage } from "../lib/errors";
import { isActive, isTerminal, runTitle, TRIGGER_LABEL } from "../lib/run-status";
import { labelList } from "../lib/labels";
import { shortId } from "../lib/format";
import { invalidateService } from "../lib/invalidate";
import { PageHeader, Section, Loading } from "../components/PageHeader";
import { RunStatusBadge, Chip } from "../components/StatusBadge";
import { LiveIndicator } from "../components/LiveIndicator";
import { RunTimeline } from "../components/RunTimeline";
import { LogViewer } from "../components/LogViewer";
import { AgentView } from "../components/AgentView";
import { JobSpecView } from "../components/JobSpecView";
import { UsageSummary } from "../components/UsageSummary";
import { ResultBox } from "../components/ResultBox";
import { RunInputs } from "../components/RunInputs";
import { RunNotice } from "../components/RunNotice";
import { ErrorBanner, InlineError } from "../components/ErrorBanner";
import { Button, buttonClass } from "../components/Button";
import { ConfirmButton } from "../components/ConfirmButton";
import { RunChangesSummary } from "../components/RunChangesSummary";
import { FollowUpBox } from "../components/FollowUpBox";
import { FollowUpList } from "../components/FollowUpList";
import { useRunArtifacts } from "../hooks/useRunArtifacts";
import { changesArtifact, listedArtifacts } from "../lib/artifact-preview";
import { count } from "../lib/format";

// The diff renderer, its highlighter and the Markdown renderer load with their tabs, not with the dashboard.
const ChangesView = lazy(() => import("../components/ChangesView"));
const ArtifactsView = lazy(() => import("../components/ArtifactsView"));

type Tab = "logs" | "agent" | "changes" | "artifacts" | "definition";

function hasUsage(u: Usage | undefined): u is Usage {
  return !!u && (u.inputTokens > 0n || u.outputTokens > 0n || u.totalTokens > 0n || u.costUsd > 0);
}

export function RunDetailPage() {
  const { id = "" } = useParams();
  const { run, store, version, status, error } = useWatchRun(id);
  // The stream carries the run's state without its spec (which never changes and may be large):
  // the definition comes from GetRun once.
  const full = useQuery(RunService.method.getRun, { id }, { staleTime: Infinity });
  const spec = full.data?.run?.spec;
  const { can } = useAuth();
  const transport = useTransport();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [tab, setTab] = useState<Tab>("logs");
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>();
  const artifacts = useRunArtifacts({ id, status: run?.status ?? RunStatus.UNSPECIFIED });
  const kept = listedArtifacts(artifacts.data?.artifacts ?? []);

  const cancel = useMutation(RunService.method.cancelRun, { onSuccess: () => invalidateService(queryClient, RunService) });
  const retry = useMutation(RunService.method.retryRun, {
    onSuccess: (res) => {
      invalidateService(queryClient, RunService);
      if (res.run) navigate(`/runs/${res.run.id}`);
    },
  });

  async function download() {
    setDownloading(true);
    setDownloadError(undefined);
    try {
      saveText(`run-${id}.txt`, await fetchRunLogText(transport, id));
    } catch (e) {
      setDownloadError(e);
    } finally {
      setDownloading(false);
    }
  }

  if (error) return <ErrorBanner error={error} />;
  if (!run) return <Loading label="Connecting to the run…" />;

  void version; // The store's arrays are read below; `version` is what re-rendered us.
  const lines = store.lines;
  const events = store.events;

  return (
    <div>
      <PageHeader
        title={runTitle(run)}
        subtitle={
          <span className="flex flex-wrap items-center gap-x-3 gap-y-1">
            <RunStatusBadge status={run.status} cancelRequested={run.cancelRequested} />
            <span className="font-mono text-xs text-zinc-500" title={run.id}>
              {shortId(run.id)}
            </span>
            {run.jobId && (
              <Link to={`/jobs/${run.jobId}`} className="text-xs text-indigo-700 hover:underline">
                job {run.jobName || shortId(run.jobId)}
              </Link>
            )}
            <span className="text-xs text-zinc-500" data-testid="run-attempt">
              attempt {run.attempt || 1} of {Math.max(run.maxAttempts, 1)}
            </span>
            {run.trigger !== TriggerKind.UNSPECIFIED && <span className="text-xs text-zinc-500">{TRIGGER_LABEL[run.trigger]}</span>}
            {run.parentRunId && (
              <Link to={`/runs/${run.parentRunId}`} className="text-xs text-indigo-700 hover:underline" data-testid="parent-run">
                follow-up of {shortId(run.parentRunId)}
              </Link>
            )}
            {run.retryOfRunId && (
              <Link to={`/runs/${run.retryOfRunId}`} className="text-xs text-indigo-700 hover:underline">
                retry of {shortId(run.retryOfRunId)}
              </Link>
            )}
            <span className="text-xs text-zinc-500" data-testid="run-worker">
              worker {run.workerName || (run.workerId ? shortId(run.workerId) : "—")}
            </span>
            <LiveIndicator status={status} />
          </span>
        }
        actions={
          can("runs:write") && (
            <>
              <InlineError error={cancel.error ?? retry.error} />
              {isActive(run.status) && (
                <ConfirmButton
                  variant="danger"
                  onConfirm={() => cancel.mutate({ id: run.id })}
                  busy={cancel.isPending}
                  disabled={run.cancelRequested}
                  confirmLabel="Cancel this run?"
                >
                  {run.cancelRequested ? "Cancelling…" : "Cancel"}
                </ConfirmButton>
              )}
              {isTerminal(run.status) && (
                <Button variant="primary" onClick={() => retry.mutate({ id: run.id })} busy={retry.isPending}>
                  Retry
                </Button>
              )}
              <Link to={`/runs/new?from=${run.id}`} className={buttonClass("secondary")}>
                Edit &amp; run again
              </Link>
            </>
          )
        }
      >
        {run.changes && (
          <div className="mt-1.5">
            <RunChangesSummary changes={run.changes} />
          </div>
        )}
      </PageHeader>

      <div className="mb-4 flex flex-wrap gap-4">
        <Section className="min-w-0 flex-1 px-4 py-3">
          <RunTimeline run={run} />
        </Section>
        {hasUsage(run.usage) && (
          <Section className="flex items-center px-4 py-3">
            <UsageSummary usage={run.usage} />
          </Section>
        )}
      </div>

      <RunNotice run={run} requiredLabels={spec ? spec.requiredLabels : undefined} />
      {run.result && tab !== "agent" && <ResultBox result={run.result} succeeded={run.status === RunStatus.SUCCEEDED} clamp />}
      <RunInputs run={run} prompt={spec?.prompt} />
      {Object.keys(run.labels).length > 0 && (
        <div className="mb-3 flex flex-wrap gap-1">
          {labelList(run.labels).map((l) => (
            <Chip key={l}>{l}</Chip>
          ))}
        </div>
      )}

      <div className="mb-2 flex gap-1 border-b border-zinc-200" role="tablist">
        {(
          [
            ["logs", `Logs`],
            ["agent", `Agent${events.length ? ` (${events.length.toLocaleString("en")})` : ""}`],
            ...(run.changes || spec?.repository || changesArtifact(kept)
              ? [["changes", `Changes${run.changes ? ` (${count(run.changes.filesChanged)})` : ""}`]]
              : []),
            ["artifacts", `Artifacts${kept.length ? ` (${kept.length})` : ""}`],
            ["definition", "Definition"],
          ] as [Tab, string][]
        ).map(([t, label]) => (
          <button
            key={t}
            role="tab"
            type="button"
            aria-selected={tab === t}
            onClick={() => setTab(t)}
            className={`-mb-px border-b-2 px-3 py-1.5 text-sm ${tab === t ? "border-indigo-600 font-medium text-indigo-700" : "border-transparent text-zinc-600 hover:text-zinc-900"}`}
          >
            {label}
          </button>
        ))}
      </div>

      {tab === "logs" && (
        <>
          {downloadError != null && <p className="mb-2 text-xs text-red-700">Download failed: {errorMessage(downloadError)}</p>}
          <LogViewer
            lines={lines}
            count={lines.length}
            className="h-[calc(100vh-360px)] min-h-[320px]"
            onDownload={download}
            downloading={downloading}
            emptyText={
              isTerminal(run.status)
                ? "This run produced no output."
                : run.status === RunStatus.QUEUED
                  ? "Waiting for a worker…"
                  : "Waiting for output…"
            }
          />
        </>
      )}
      {tab === "agent" && (
        <AgentView
          events={events}
          count={events.length}
          runUsage={run.usage}
          // On a run that did not succeed the "result" is only the last message, already in the transcript.
          result={run.status === RunStatus.SUCCEEDED ? run.result : undefined}
          finished={isTerminal(run.status)}
          showUsage={!hasUsage(run.usage)}
        />
      )}
      {(tab === "changes" || tab === "artifacts") && (
        <Suspense fallback={<Loading />}>
          {artifacts.error ? (
            <ErrorBanner error={artifacts.error} />
          ) : tab === "changes" ? (
            <ChangesView run={run} diff={changesArtifact(kept)} loading={artifacts.isPending} />
          ) : (
            <ArtifactsView key={run.id} artifacts={kept} finished={isTerminal(run.status)} loading={artifacts.isPending} />
          )}
        </Suspense>
      )}
      {tab === "definition" && (
        <Section title="Snapshot" actions={<span className="text-xs text-zinc-500">copied from the job when the run was created</span>}>
          {full.error ? <ErrorBanner error={full.error} /> : spec ? <JobSpecView spec={spec} /> : <Loading />}
        </Section>
      )}

      {isTerminal(run.status) &&
        (can("runs:write") ? (
          <Section title="Follow-ups" className="mt-4">
            <FollowUpList run={run} />
            <FollowUpBox run={run} />
          </Section>
        ) : (
          // Read-only keys see the chain, and no empty section when there is none.
          <FollowUpList run={run} titled />
        ))}
    </div>
  );
}
