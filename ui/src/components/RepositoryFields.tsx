import type { Credential } from "../gen/flightcontrol/v1/credential_pb";
import type { FieldErrors } from "../lib/errors";
import type { JobSpecDraft } from "../lib/job-spec-draft";
import { CredentialPicker } from "./CredentialPicker";
import { Field, FieldGroup } from "./Field";

const GIT_VARIABLES = ["GIT_TOKEN", "GIT_SSH_KEY"];

export interface RepositoryFieldsProps {
  draft: JobSpecDraft;
  onChange: (patch: Partial<JobSpecDraft>) => void;
  errors: FieldErrors;
  /** Proto path of the JobSpec, e.g. `spec`. */
  prefix: string;
  credentials: { data?: Credential[]; loading: boolean; error: unknown };
}

/** The run's workspace: the repository it checks out, the setup script before the agent, the files kept after. */
export function RepositoryFields({ draft, onChange, errors, prefix, credentials }: RepositoryFieldsProps) {
  const p = (f: string) => `${prefix}.${f}`;
  const hasRepo = draft.repoUrl.trim() !== "";
  const chosen = credentials.data?.find((c) => c.id === draft.repoCredentialId);
  const notGit = chosen && !chosen.envNames.some((n) => GIT_VARIABLES.includes(n));

  return (
    <section aria-labelledby="repository-heading" className="space-y-3 rounded-md border border-zinc-200 bg-zinc-50/60 p-4">
      <div>
        <h3 id="repository-heading" className="text-sm font-semibold text-zinc-800">
          Repository
        </h3>
        <p className="text-xs text-zinc-500">
          The agent works in a checkout; what it changes is committed to a branch and shown on the run's Changes tab.
        </p>
      </div>
      <Field
        label="Repository URL"
        name={p("repository.url")}
        error={errors.get(p("repository.url"))}
        hint="Empty: the agent starts in an empty directory. No credentials in the URL; pick a git credential below."
      >
        {(a) => (
          <input
            {...a}
            className="input font-mono text-[13px]"
            placeholder="https://github.com/acme/payments-service.git"
            value={draft.repoUrl}
            onChange={(e) => onChange({ repoUrl: e.target.value })}
            spellCheck={false}
          />
        )}
      </Field>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <Field
          label="Ref"
          name={p("repository.ref")}
          error={errors.get(p("repository.ref"))}
          hint="Branch, tag or commit; empty: the default branch."
        >
          {(a) => (
            <input
              {...a}
              className="input font-mono text-[13px]"
              placeholder="main"
              value={draft.repoRef}
              onChange={(e) => onChange({ repoRef: e.target.value })}
              spellCheck={false}
            />
          )}
        </Field>
        <Field
          label="Work branch"
          name={p("repository.branch")}
          error={errors.get(p("repository.branch"))}
          hint="Where the run commits; empty: fc/<run id>."
        >
          {(a) => (
            <input
              {...a}
              className="input font-mono text-[13px]"
              placeholder="fc/<run id>"
              value={draft.repoBranch}
              onChange={(e) => onChange({ repoBranch: e.target.value })}
              spellCheck={false}
            />
          )}
        </Field>
      </div>
      <label className="flex items-start gap-2 text-sm text-zinc-800">
        <input
          type="checkbox"
          className="mt-0.5 accent-indigo-600"
          checked={draft.repoPush}
          disabled={!hasRepo && !draft.repoPush}
          onChange={(e) => onChange({ repoPush: e.target.checked })}
        />
        <span>
          Push the work branch
          <span className="block text-xs text-zinc-500">to the repository when the run changed something.</span>
        </span>
      </label>
      <FieldGroup
        label="Git credential"
        name={p("repository.credential_id")}
        error={errors.get(p("repository.credential_id"))}
        hint={
          notGit
            ? `${chosen.name} has no GIT_TOKEN or GIT_SSH_KEY: git will not be able to use it.`
            : "Given to git only: GIT_TOKEN (and GIT_USERNAME) over HTTPS, GIT_SSH_KEY over SSH. None for a public repository."
        }
      >
        <CredentialPicker
          ariaLabel="Git credential"
          // One credential at most: ticking another replaces the current one.
          value={draft.repoCredentialId ? [draft.repoCredentialId] : []}
          onChange={(ids) => onChange({ repoCredentialId: ids.find((id) => id !== draft.repoCredentialId) ?? "" })}
          credentials={credentials.data}
          loading={credentials.loading}
          error={credentials.error}
          invalid={!!errors.get(p("repository.credential_id"))}
        />
      </FieldGroup>
      <Field
        label="Setup script"
        name={p("setup_script")}
        error={errors.get(p("setup_script"))}
        hint="Run with sh -c in the checkout before the agent (install dependencies, build); if it fails, the run fails."
      >
        {(a) => (
          <textarea
            {...a}
            className="input font-mono text-[13px]"
            rows={3}
            placeholder="npm ci"
            value={draft.setupScript}
            onChange={(e) => onChange({ setupScript: e.target.value })}
            spellCheck={false}
          />
        )}
      </Field>
      <Field
        label="Artifact globs"
        name={p("artifact_paths")}
        error={errors.get(p("artifact_paths"), true)}
        hint="One per line, relative to the workspace; matching files are kept after the run (Artifacts tab)."
      >
        {(a) => (
          <textarea
            {...a}
            className="input font-mono text-[13px]"
            rows={2}
            placeholder={"report.md\nout/**/*.png"}
            value={draft.artifactPaths}
            onChange={(e) => onChange({ artifactPaths: e.target.value })}
            spellCheck={false}
          />
        )}
      </Field>
    </section>
  );
}
