import { useState } from "react";
import { useNavigate } from "react-router";
import { createQueryOptions, useMutation, useTransport } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { JobService, type Job } from "../gen/flightcontrol/v1/job_pb";
import { RunService } from "../gen/flightcontrol/v1/run_pb";
import { invalidateService } from "../lib/invalidate";
import { Button, type ButtonProps } from "./Button";
import { Dialog } from "./Dialog";
import { InlineError } from "./ErrorBanner";
import { TriggerJobForm } from "./TriggerJobForm";

/**
 * "Run now": a job without parameters is triggered at once; one with parameters opens the form for
 * their values. Lists hold jobs without their spec, so it is fetched on click to decide.
 */
export function RunJobButton({ job, size, variant }: { job: Job; size?: ButtonProps["size"]; variant?: ButtonProps["variant"] }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const transport = useTransport();
  const [withParams, setWithParams] = useState<Job>();
  const [loadError, setLoadError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const trigger = useMutation(JobService.method.triggerJob, {
    onSuccess: (res) => {
      invalidateService(queryClient, RunService);
      if (res.run) navigate(`/runs/${res.run.id}`);
    },
  });

  async function click() {
    setLoadError(undefined);
    let full = job;
    if (!full.spec) {
      setLoading(true);
      try {
        full = (await queryClient.fetchQuery(createQueryOptions(JobService.method.getJob, { id: job.id }, { transport }))).job ?? job;
      } catch (err) {
        return setLoadError(err);
      } finally {
        setLoading(false);
      }
    }
    if (full.spec?.parameters.length) setWithParams(full);
    else trigger.mutate({ id: job.id });
  }

  return (
    <>
      <InlineError error={trigger.error ?? loadError} />
      <Button size={size} variant={variant} onClick={() => void click()} busy={trigger.isPending || loading}>
        ▶ Run now
      </Button>
      <Dialog open={!!withParams} onClose={() => setWithParams(undefined)} title={`Run ${job.name}`}>
        {withParams && <TriggerJobForm job={withParams} onDone={() => setWithParams(undefined)} />}
      </Dialog>
    </>
  );
}
