import type { FieldErrors } from "../lib/errors";
import type { JobSpecDraft } from "../lib/job-spec-draft";
import { AGENTS } from "../lib/providers";
import { seconds } from "../lib/format";
import { CredentialPicker, useCredentialList } from "./CredentialPicker";
import { EnvEditor } from "./EnvEditor";
import { ParametersEditor } from "./ParametersEditor";
import { SkillPicker } from "./SkillPicker";
import { Field, FieldGroup } from "./Field";
import { KeyValueEditor } from "./KeyValueEditor";
import { McpExtensionsEditor } from "./McpExtensionsEditor";
import { ProviderModelPicker } from "./ProviderModelPicker";
import { RepositoryFields } from "./RepositoryFields";

export interface JobSpecFieldsProps {
  draft: JobSpecDraft;
  onChange: (patch: Partial<JobSpecDraft>) => void;
  errors: FieldErrors;
  /** Proto path of the JobSpec in the request, e.g. `spec`. */
  prefix: string;
}

function secondsHint(v: string, fallback: string): string {
  const n = Number(v);
  return v && n > 0 ? `= ${seconds(n)}` : fallback;
}

/** Every JobSpec field, shared by the job editor and the ad-hoc run form. */
export function JobSpecFields({ draft, onChange, errors, prefix }: JobSpecFieldsProps) {
  const p = (f: string) => `${prefix}.${f}`;
  const creds = useCredentialList();
  const selected = creds.data?.credentials.filter((c) => draft.credentialIds.includes(c.id));
  const isShell = draft.agent === "shell";

  return (
    <div className="grid grid-cols-1 gap-5 xl:grid-cols-[minmax(0,1fr)_340px]">
      <div className="space-y-4">
        <Field
          label={isShell ? "Command line" : "Prompt"}
          name={p("prompt")}
          error={errors.get(p("prompt"))}
          hint={isShell ? "Run by the worker's shell." : "The task, in natural language."}
        >
          {(a) => (
            <textarea
              {...a}
              className={`input min-h-32 ${isShell ? "font-mono text-[13px]" : "leading-relaxed"}`}
              rows={isShell ? 3 : 8}
              placeholder={isShell ? "echo hello && uname -a" : "Summarise the open issues in the repository and draft a release note."}
              value={draft.prompt}
              onChange={(e) => onChange({ prompt: e.target.value })}
            />
          )}
        </Field>
        {!isShell && (
          <Field
            label="System instructions"
            name={p("system_instructions")}
            error={errors.get(p("system_instructions"))}
            hint="Optional extra instructions for the agent."
          >
            {(a) => (
              <textarea
                {...a}
                className="input text-[13px]"
                rows={3}
                value={draft.systemInstructions}
                onChange={(e) => onChange({ systemInstructions: e.target.value })}
              />
            )}
          </Field>
        )}
        <div className="grid grid-cols-[180px_minmax(0,1fr)] gap-3">
          <Field label="Agent" name={p("agent")} error={errors.get(p("agent"))}>
            {(a) => (
              <select {...a} className="input" value={draft.agent} onChange={(e) => onChange({ agent: e.target.value })}>
                {AGENTS.map((ag) => (
                  <option key={ag.id} value={ag.id}>
                    {ag.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {!isShell && (
            <ProviderModelPicker
              provider={draft.provider}
              model={draft.model}
              onChange={onChange}
              providerName={p("provider")}
              modelName={p("model")}
              providerError={errors.get(p("provider"))}
              modelError={errors.get(p("model"))}
              selectedCredentials={selected}
            />
          )}
        </div>
        {!isShell && (
          <>
            <McpExtensionsEditor
              value={draft.extensions}
              onChange={(extensions) => onChange({ extensions })}
              errors={errors}
              path={p("extensions")}
            />
            {draft.agent === "goose" && (
              <Field
                label="Built-in extensions"
                name={p("builtins")}
                error={errors.get(p("builtins"), true)}
                hint="Comma-separated Goose built-ins, e.g. developer."
              >
                {(a) => <input {...a} className="input font-mono" value={draft.builtins} onChange={(e) => onChange({ builtins: e.target.value })} />}
              </Field>
            )}
          </>
        )}
        <ParametersEditor value={draft.parameters} onChange={(parameters) => onChange({ parameters })} errors={errors} path={p("parameters")} />
        <RepositoryFields
          draft={draft}
          onChange={onChange}
          errors={errors}
          prefix={prefix}
          credentials={{ data: creds.data?.credentials, loading: creds.isPending, error: creds.error }}
        />
      </div>

      <div className="space-y-4">
        <FieldGroup
          label="Credentials"
          name={p("credential_ids")}
          error={errors.get(p("credential_ids"), true)}
          hint="Their variables are set in the agent's environment."
        >
          <CredentialPicker
            value={draft.credentialIds}
            onChange={(credentialIds) => onChange({ credentialIds })}
            credentials={creds.data?.credentials}
            loading={creds.isPending}
            error={creds.error}
            invalid={!!errors.get(p("credential_ids"), true)}
          />
        </FieldGroup>
        <FieldGroup
          label="Skills"
          name={p("skill_ids")}
          error={errors.get(p("skill_ids"), true)}
          hint="Installed where the agent looks for skills, at the version current when the run is created."
        >
          <SkillPicker value={draft.skillIds} onChange={(skillIds) => onChange({ skillIds })} invalid={!!errors.get(p("skill_ids"), true)} />
        </FieldGroup>
        <EnvEditor rows={draft.env} onChange={(env) => onChange({ env })} errors={errors} path={p("env")} />
        <FieldGroup
          label="Required worker labels"
          name={p("required_labels")}
          error={errors.get(p("required_labels"), true)}
          hint="Only workers with all of these labels take the run."
        >
          <KeyValueEditor
            ariaLabel="Required labels"
            rows={draft.requiredLabels}
            onChange={(requiredLabels) => onChange({ requiredLabels })}
            keyPlaceholder="gpu"
            valuePlaceholder="true"
            addLabel="Label"
          />
        </FieldGroup>
        <div className="grid grid-cols-2 gap-3">
          <Field
            label="Timeout (seconds)"
            name={p("timeout_seconds")}
            error={errors.get(p("timeout_seconds"))}
            hint={secondsHint(draft.timeoutSeconds, "Default 1h")}
          >
            {(a) => (
              <input
                {...a}
                className="input"
                type="number"
                min={0}
                placeholder="3600"
                value={draft.timeoutSeconds}
                onChange={(e) => onChange({ timeoutSeconds: e.target.value })}
              />
            )}
          </Field>
          {!isShell ? (
            <Field
              label="Max turns"
              name={p("max_turns")}
              error={errors.get(p("max_turns"))}
              hint={
                draft.agent === "codex"
                  ? "Codex cannot enforce it: only the timeout bounds a codex run"
                  : "Turns before the run fails unfinished; empty: agent decides"
              }
            >
              {(a) => (
                <input
                  {...a}
                  className="input"
                  type="number"
                  min={0}
                  value={draft.maxTurns}
                  onChange={(e) => onChange({ maxTurns: e.target.value })}
                />
              )}
            </Field>
          ) : (
            <div />
          )}
          <Field label="Attempts" name={p("max_attempts")} error={errors.get(p("max_attempts"))} hint="Empty: one attempt">
            {(a) => (
              <input
                {...a}
                className="input"
                type="number"
                min={0}
                placeholder="1"
                value={draft.maxAttempts}
                onChange={(e) => onChange({ maxAttempts: e.target.value })}
              />
            )}
          </Field>
          <Field
            label="Retry backoff (s)"
            name={p("retry_backoff_seconds")}
            error={errors.get(p("retry_backoff_seconds"))}
            hint={secondsHint(draft.retryBackoffSeconds, "Default 5s, doubling")}
          >
            {(a) => (
              <input
                {...a}
                className="input"
                type="number"
                min={0}
                placeholder="5"
                value={draft.retryBackoffSeconds}
                onChange={(e) => onChange({ retryBackoffSeconds: e.target.value })}
              />
            )}
          </Field>
          <Field label="Priority" name={p("priority")} error={errors.get(p("priority"))} hint="Higher runs first">
            {(a) => (
              <input
                {...a}
                className="input"
                type="number"
                min={-1000}
                max={1000}
                title="−1000 to 1000"
                placeholder="0"
                value={draft.priority}
                onChange={(e) => onChange({ priority: e.target.value })}
              />
            )}
          </Field>
        </div>
      </div>
    </div>
  );
}
