import { useQuery } from "@connectrpc/connect-query";
import { JobService, type Job } from "../gen/flightcontrol/v1/job_pb";
import { errorMessage } from "../lib/errors";

/** Jobs by id, for showing a credential's allowed jobs by name (a deleted job shows its id). */
export function useJobNames(): Map<string, string> {
  const jobs = useQuery(JobService.method.listJobs, { pageSize: 500 }, { retry: false });
  return new Map((jobs.data?.jobs ?? []).map((j: Job) => [j.id, j.name]));
}

/**
 * The jobs whose runs may use a credential. None checked means any run may — including ad-hoc
 * runs, whose prompt anyone with the operator role writes.
 */
export function AllowedJobsPicker({ value, onChange }: { value: string[]; onChange: (ids: string[]) => void }) {
  const jobs = useQuery(JobService.method.listJobs, { pageSize: 500 }, { retry: false });
  if (jobs.error) return <p className="text-xs text-zinc-500">{errorMessage(jobs.error)}</p>;
  if (jobs.isPending) return <p className="text-xs text-zinc-500">Loading jobs…</p>;
  const known = new Set(jobs.data.jobs.map((j) => j.id));
  const toggle = (id: string) => onChange(value.includes(id) ? value.filter((v) => v !== id) : [...value, id]);
  return (
    <div>
      <p className="mb-1 text-xs text-zinc-500">
        {value.length === 0
          ? "Any run may use this credential. Check jobs to allow only their runs (no ad-hoc runs)."
          : `Only runs of ${value.length} job${value.length === 1 ? "" : "s"} may use it.`}
      </p>
      {/* min-w-0: a fieldset is otherwise at least as wide as its content, and this one scrolls instead. */}
      <fieldset
        className="max-h-48 min-w-0 divide-y divide-zinc-100 overflow-auto rounded-md border border-zinc-300 bg-white"
        aria-label="Allowed jobs"
      >
        {jobs.data.jobs.map((j) => (
          <div key={j.id}>
            <label className="flex cursor-pointer items-center gap-2 px-2.5 py-1.5 text-sm hover:bg-zinc-50">
              <input type="checkbox" className="accent-indigo-600" checked={value.includes(j.id)} onChange={() => toggle(j.id)} />
              {j.name}
            </label>
          </div>
        ))}
        {value
          .filter((id) => !known.has(id))
          .map((id) => (
            <div key={id}>
              <label className="flex cursor-pointer items-center gap-2 px-2.5 py-1.5 font-mono text-xs text-zinc-500 hover:bg-zinc-50">
                <input type="checkbox" className="accent-indigo-600" checked onChange={() => toggle(id)} />
                {id} (deleted job)
              </label>
            </div>
          ))}
        {jobs.data.jobs.length === 0 && <div className="px-2.5 py-1.5 text-xs text-zinc-500">No jobs yet.</div>}
      </fieldset>
    </div>
  );
}
