import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { JobService, type Job } from "../gen/flightcontrol/v1/job_pb";
import { RunService } from "../gen/flightcontrol/v1/run_pb";
import { FieldErrors, type FieldViolation } from "../lib/errors";
import { invalidateService } from "../lib/invalidate";
import { checkValues, initialValues, valuesToSend } from "../lib/parameter-values";
import { fillPlaceholders } from "../lib/placeholders";
import { ErrorBanner } from "./ErrorBanner";
import { FormFooter } from "./FormFooter";
import { ParameterValuesFields } from "./ParameterValuesFields";

/** The values of a job's parameters for one TriggerJob; opens the new run when it is queued. */
export function TriggerJobForm({ job, onDone }: { job: Job; onDone: () => void }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const params = job.spec?.parameters ?? [];
  const [values, setValues] = useState(() => initialValues(params));
  const [problems, setProblems] = useState<FieldViolation[]>([]);
  const trigger = useMutation(JobService.method.triggerJob, {
    onSuccess: (res) => {
      invalidateService(queryClient, RunService);
      onDone();
      if (res.run) navigate(`/runs/${res.run.id}`);
    },
  });
  const errors = problems.length ? FieldErrors.fromViolations(problems) : FieldErrors.of(trigger.error);

  function submit(e: FormEvent) {
    e.preventDefault();
    const found = checkValues(params, values);
    setProblems(found);
    if (!found.length) trigger.mutate({ id: job.id, parameters: valuesToSend(params, values) });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label="Run with parameters">
      <ErrorBanner error={problems.length ? problems : trigger.error} fieldErrors={errors} claimed={["parameters"]} />
      <ParameterValuesFields params={params} values={values} onChange={setValues} errors={errors} />
      <div>
        <div className="mb-1 text-xs font-medium text-zinc-700">Prompt with these values</div>
        <pre
          className="max-h-32 overflow-auto rounded-md bg-zinc-50 px-2.5 py-1.5 font-sans text-xs whitespace-pre-wrap text-zinc-700"
          data-testid="prompt-preview"
        >
          {/* Empty optional values take their default, as the server fills them. */}
          {fillPlaceholders(job.spec?.prompt ?? "", initialValues(params, valuesToSend(params, values)))}
        </pre>
      </div>
      <FormFooter onCancel={onDone} busy={trigger.isPending}>
        ▶ Run
      </FormFooter>
    </form>
  );
}
