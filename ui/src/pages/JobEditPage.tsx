import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { skipToken, useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { JobService, type Job } from "../gen/flightcontrol/v1/job_pb";
import { FieldErrors, type FieldViolation } from "../lib/errors";
import { checkSpecDraft } from "../lib/job-spec-checks";
import { draftToSpec, emptySpecDraft, specClaims, specToDraft } from "../lib/job-spec-draft";
import { invalidateService } from "../lib/invalidate";
import { useFormDraft } from "../hooks/useFormDraft";
import { PageHeader, Loading } from "../components/PageHeader";
import { Field } from "../components/Field";
import { JobSpecFields } from "../components/JobSpecFields";
import { ErrorBanner } from "../components/ErrorBanner";
import { Button, buttonClass } from "../components/Button";

const CLAIMED = [...specClaims("spec"), "name", "description"];

/** Create a job (`/jobs/new`) or edit one (`/jobs/:id/edit`). */
export function JobEditPage() {
  const { id } = useParams();
  const existing = useQuery(JobService.method.getJob, id ? { id } : skipToken);
  if (id && existing.isPending) return <Loading />;
  if (id && existing.error) return <ErrorBanner error={existing.error} />;
  // Keyed so the form starts from the loaded job rather than syncing state after the fact.
  return <JobForm key={id ?? "new"} job={existing.data?.job} />;
}

function JobForm({ job }: { job: Job | undefined }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState(job?.name ?? "");
  const [description, setDescription] = useState(job?.description ?? "");
  const [spec, patchSpec] = useFormDraft(() => (job ? specToDraft(job.spec) : emptySpecDraft()));

  const onSuccess = (res: { job?: Job }) => {
    invalidateService(queryClient, JobService);
    if (res.job) navigate(`/jobs/${res.job.id}`);
  };
  const create = useMutation(JobService.method.createJob, { onSuccess });
  const update = useMutation(JobService.method.updateJob, { onSuccess });
  const mutation = job ? update : create;
  // Problems found before sending stand in for the server's until the next submit.
  const [problems, setProblems] = useState<FieldViolation[]>([]);
  const errors = problems.length ? FieldErrors.fromViolations(problems) : FieldErrors.of(mutation.error);
  const shownError = problems.length ? problems : mutation.error;

  function submit(e: FormEvent) {
    e.preventDefault();
    const found = checkSpecDraft(spec, "spec");
    setProblems(found);
    if (found.length) return;
    const body = { name: name.trim(), description, spec: draftToSpec(spec) };
    if (job) update.mutate({ id: job.id, ...body });
    else create.mutate(body);
  }

  return (
    <form onSubmit={submit} noValidate aria-label={job ? "Edit job" : "New job"}>
      <PageHeader
        title={job ? `Edit ${job.name}` : "New job"}
        subtitle={
          job ? "Runs already created keep the definition they were started with." : "A reusable definition you can run now or on a schedule."
        }
        actions={
          <>
            <Link to={job ? `/jobs/${job.id}` : "/jobs"} className={buttonClass("ghost")}>
              Cancel
            </Link>
            <Button type="submit" variant="primary" busy={mutation.isPending}>
              {job ? "Save" : "Create job"}
            </Button>
          </>
        }
      />
      <div className="space-y-4">
        <ErrorBanner error={shownError} fieldErrors={errors} claimed={CLAIMED} />
        <div className="card space-y-4 p-5">
          <div className="grid grid-cols-1 gap-4 xl:grid-cols-[minmax(0,1fr)_340px]">
            <Field label="Name" name="name" error={errors.get("name")}>
              {(a) => <input {...a} className="input" value={name} onChange={(e) => setName(e.target.value)} placeholder="nightly-triage" />}
            </Field>
            <Field label="Description" name="description" error={errors.get("description")}>
              {(a) => <input {...a} className="input" value={description} onChange={(e) => setDescription(e.target.value)} />}
            </Field>
          </div>
          <JobSpecFields draft={spec} onChange={patchSpec} errors={errors} prefix="spec" />
        </div>
      </div>
    </form>
  );
}
