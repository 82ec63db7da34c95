import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { create as createMessage } from "@bufbuild/protobuf";
import { useNavigate, useSearchParams, Link } from "react-router";
import { skipToken, useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { RunService } from "../gen/flightcontrol/v1/run_pb";
import { JobService } from "../gen/flightcontrol/v1/job_pb";
import { ParameterSchema } from "../gen/flightcontrol/v1/spec_pb";
import { FieldErrors, type FieldViolation } from "../lib/errors";
import { checkSpecDraft } from "../lib/job-spec-checks";
import { draftToSpec, emptySpecDraft, specClaims, specToDraft } from "../lib/job-spec-draft";
import { rowsToMap, type KeyValueRow } from "../lib/labels";
import { invalidateService } from "../lib/invalidate";
import { draftToParameter } from "../lib/parameter-draft";
import { checkValues, initialValues, valuesToSend } from "../lib/parameter-values";
import { useFormDraft } from "../hooks/useFormDraft";
import { PageHeader } from "../components/PageHeader";
import { Field, FieldGroup } from "../components/Field";
import { JobSpecFields } from "../components/JobSpecFields";
import { KeyValueEditor } from "../components/KeyValueEditor";
import { ErrorBanner } from "../components/ErrorBanner";
import { Button, buttonClass } from "../components/Button";
import { ParameterValuesFields } from "../components/ParameterValuesFields";

const CLAIMED = [...specClaims("spec"), "name", "labels", "parameters"];

/** Ad-hoc run (CreateRun); `?from=<run id>` or `?job=<job id>` starts from an existing definition. */
export function NewRunPage() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const fromRun = params.get("from");
  const fromJob = params.get("job");
  const [spec, patchSpec, setSpec] = useFormDraft(emptySpecDraft);
  const [name, setName] = useState("");
  const [labels, setLabels] = useState<KeyValueRow[]>([]);
  // The values of the parameters the spec declares (a job's definition, a recipe), as TriggerJob
  // takes them; one never touched shows its default.
  const declared = useMemo(
    () => spec.parameters.filter((p) => p.name.trim()).map((p) => createMessage(ParameterSchema, draftToParameter(p))),
    [spec.parameters],
  );
  const [touchedValues, setValues] = useState<Record<string, string>>({});
  const values = initialValues(declared, touchedValues);

  const sourceRun = useQuery(RunService.method.getRun, fromRun ? { id: fromRun } : skipToken);
  const sourceJob = useQuery(JobService.method.getJob, fromJob ? { id: fromJob } : skipToken);
  const prefilled = useRef(false);
  useEffect(() => {
    if (prefilled.current) return;
    const src = sourceRun.data?.run?.spec ?? sourceJob.data?.job?.spec;
    if (!src) return;
    prefilled.current = true;
    const draft = specToDraft(src);
    // A run's spec already has its parameter values filled in; kept, its parameter definitions
    // would make CreateRun ask for values again (a required one has no default).
    if (sourceRun.data?.run?.spec) draft.parameters = [];
    setSpec(draft);
    setName(sourceRun.data?.run?.jobName ?? sourceJob.data?.job?.name ?? "");
  }, [sourceRun.data, sourceJob.data, setSpec]);

  const create = useMutation(RunService.method.createRun, {
    onSuccess: (res) => {
      invalidateService(queryClient, RunService);
      if (res.run) navigate(`/runs/${res.run.id}`);
    },
  });
  // Problems found before sending stand in for the server's until the next submit.
  const [problems, setProblems] = useState<FieldViolation[]>([]);
  const errors = problems.length ? FieldErrors.fromViolations(problems) : FieldErrors.of(create.error);
  const shownError = problems.length ? problems : create.error;

  function submit(e: FormEvent) {
    e.preventDefault();
    const found = [...checkSpecDraft(spec, "spec"), ...checkValues(declared, values)];
    setProblems(found);
    if (found.length) return;
    create.mutate({ name: name.trim(), spec: draftToSpec(spec), labels: rowsToMap(labels), parameters: valuesToSend(declared, values) });
  }

  return (
    <form onSubmit={submit} noValidate aria-label="New run">
      <PageHeader
        title="New run"
        subtitle={
          fromRun || fromJob ? "Starting from an existing definition; changes apply to this run only." : "An ad-hoc run that belongs to no job."
        }
        actions={
          <>
            <Link to="/runs" className={buttonClass("ghost")}>
              Cancel
            </Link>
            <Button type="submit" variant="primary" busy={create.isPending}>
              Queue run
            </Button>
          </>
        }
      />
      <div className="space-y-4">
        <ErrorBanner error={shownError} fieldErrors={errors} claimed={CLAIMED} />
        <div className="card space-y-4 p-5">
          <div className="grid grid-cols-1 gap-4 xl:grid-cols-[minmax(0,1fr)_340px]">
            <Field label="Name" name="name" error={errors.get("name")} hint="Optional; defaults to the start of the prompt.">
              {(a) => <input {...a} className="input" value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
            <FieldGroup label="Run labels" name="labels" error={errors.get("labels", true)} hint="Recorded on the run for filtering.">
              <KeyValueEditor ariaLabel="Run labels" rows={labels} onChange={setLabels} addLabel="Label" />
            </FieldGroup>
          </div>
          <JobSpecFields draft={spec} onChange={patchSpec} errors={errors} prefix="spec" />
        </div>
        {declared.length > 0 && (
          <div className="card space-y-3 p-5">
            <FieldGroup
              label="Parameter values"
              name="parameters"
              error={errors.get("parameters")}
              hint="Filled into the prompt and the other templated fields of this run."
            >
              <ParameterValuesFields params={declared} values={values} onChange={setValues} errors={errors} />
            </FieldGroup>
          </div>
        )}
      </div>
    </form>
  );
}
