import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { CredentialService, type Credential } from "../gen/flightcontrol/v1/credential_pb";
import { useAuth } from "../hooks/useAuth";
import { FieldErrors } from "../lib/errors";
import { rowsToMap, type KeyValueRow } from "../lib/labels";
import { invalidateService } from "../lib/invalidate";
import { CREDENTIAL_PRESETS } from "../lib/providers";
import { PageHeader, Section, Loading, EmptyState } from "../components/PageHeader";
import { Field, FieldGroup } from "../components/Field";
import { KeyValueEditor } from "../components/KeyValueEditor";
import { ErrorBanner, InlineError } from "../components/ErrorBanner";
import { Button } from "../components/Button";
import { FormFooter } from "../components/FormFooter";
import { ConfirmButton } from "../components/ConfirmButton";
import { Dialog } from "../components/Dialog";
import { RelativeTime } from "../components/RelativeTime";
import { Chip } from "../components/StatusBadge";
import { AllowedJobsPicker, useJobNames } from "../components/AllowedJobsPicker";

export function CredentialsPage() {
  const { can } = useAuth();
  const list = useQuery(CredentialService.method.listCredentials, {});
  const [creating, setCreating] = useState(false);
  const [rotating, setRotating] = useState<Credential>();
  const jobNames = useJobNames();

  return (
    <div>
      <PageHeader
        title="Credentials"
        subtitle="Named sets of environment variables for agents. Values are write-only: they are never shown again."
        actions={
          can("credentials:write") &&
          !creating && (
            <Button variant="primary" onClick={() => setCreating(true)}>
              New credential
            </Button>
          )
        }
      />
      {creating && (
        <Section title="New credential" className="mb-4">
          <CreateCredentialForm onDone={() => setCreating(false)} />
        </Section>
      )}
      <ErrorBanner error={list.error} />
      <Section>
        {list.isPending ? (
          <Loading />
        ) : !list.data?.credentials.length ? (
          <EmptyState>No credentials yet.</EmptyState>
        ) : (
          <table className="table-dense" data-testid="credential-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Variables</th>
                <th>Allowed jobs</th>
                <th className="w-28">Updated</th>
                <th className="w-44" />
              </tr>
            </thead>
            <tbody>
              {list.data.credentials.map((c) => (
                <CredentialRow key={c.id} credential={c} jobNames={jobNames} onRotate={() => setRotating(c)} />
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Dialog open={!!rotating} onClose={() => setRotating(undefined)} title={`Edit ${rotating?.name ?? ""}`} wide>
        {rotating && <RotateCredentialForm key={rotating.id} credential={rotating} onDone={() => setRotating(undefined)} />}
      </Dialog>
    </div>
  );
}

function CredentialRow({ credential: c, jobNames, onRotate }: { credential: Credential; jobNames: Map<string, string>; onRotate: () => void }) {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const del = useMutation(CredentialService.method.deleteCredential, { onSuccess: () => invalidateService(queryClient, CredentialService) });
  return (
    <tr data-credential-id={c.id}>
      <td>
        <div className="font-medium">{c.name}</div>
        {c.description && <div className="text-xs text-zinc-500">{c.description}</div>}
      </td>
      <td>
        <div className="flex flex-wrap gap-1">
          {c.envNames.map((n) => (
            <Chip key={n}>{n}</Chip>
          ))}
        </div>
      </td>
      <td data-testid="allowed-jobs">
        {c.allowedJobIds.length === 0 ? (
          <span className="text-xs text-zinc-500">any run</span>
        ) : (
          <div className="flex flex-wrap gap-1">
            {c.allowedJobIds.map((id) => (
              <Chip key={id}>{jobNames.get(id) ?? id}</Chip>
            ))}
          </div>
        )}
      </td>
      <td className="text-xs text-zinc-600">
        <RelativeTime ts={c.updateTime ?? c.createTime} />
      </td>
      <td>
        {can("credentials:write") && (
          <div className="flex items-center justify-end gap-1">
            <InlineError error={del.error} />
            <Button size="sm" onClick={onRotate}>
              Edit
            </Button>
            <ConfirmButton size="sm" variant="ghost" onConfirm={() => del.mutate({ id: c.id })} busy={del.isPending} confirmLabel="Delete?">
              Delete
            </ConfirmButton>
          </div>
        )}
      </td>
    </tr>
  );
}

const CREATE_CLAIMED = ["name", "description", "env", "allowed_job_ids"];

function CreateCredentialForm({ onDone }: { onDone: () => void }) {
  const queryClient = useQueryClient();
  const [preset, setPreset] = useState("");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [env, setEnv] = useState<KeyValueRow[]>([{ key: "", value: "" }]);
  const [allowed, setAllowed] = useState<string[]>([]);
  const create = useMutation(CredentialService.method.createCredential, {
    onSuccess: () => {
      invalidateService(queryClient, CredentialService);
      onDone();
    },
  });
  const errors = FieldErrors.of(create.error);

  function applyPreset(id: string) {
    setPreset(id);
    const p = CREDENTIAL_PRESETS.find((x) => x.id === id);
    if (!p) return;
    if (!name || CREDENTIAL_PRESETS.some((x) => x.name === name)) setName(p.name);
    // Keep values already typed for variables the preset also has.
    const typed = new Map(env.map((r) => [r.key, r.value]));
    setEnv(p.env.map((k) => ({ key: k, value: typed.get(k) ?? "" })));
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ name: name.trim(), description, env: rowsToMap(env), allowedJobIds: allowed });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4 p-4" aria-label="New credential">
      <ErrorBanner error={create.error} fieldErrors={errors} claimed={CREATE_CLAIMED} />
      <div>
        <div className="mb-1 text-xs font-medium text-zinc-700">Preset</div>
        <fieldset className="flex min-w-0 flex-wrap gap-1.5" aria-label="Provider presets">
          {CREDENTIAL_PRESETS.map((p) => (
            <button
              key={p.id}
              type="button"
              aria-pressed={preset === p.id}
              onClick={() => applyPreset(p.id)}
              className={`rounded-md px-2.5 py-1 text-xs ring-1 ring-inset ${preset === p.id ? "bg-indigo-50 text-indigo-700 ring-indigo-300" : "bg-white text-zinc-700 ring-zinc-300 hover:bg-zinc-50"}`}
            >
              {p.label}
            </button>
          ))}
        </fieldset>
      </div>
      <div className="grid grid-cols-2 gap-3">
        <Field label="Name" name="name" error={errors.get("name")}>
          {(a) => <input {...a} className="input" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Description" name="description" error={errors.get("description")}>
          {(a) => <input {...a} className="input" value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
      </div>
      <FieldGroup
        label="Variables"
        name="env"
        error={errors.get("env", true)}
        hint="Values are encrypted on the server and only decrypted for a worker running an assigned run."
      >
        <KeyValueEditor
          ariaLabel="Variables"
          rows={env}
          onChange={setEnv}
          keyPlaceholder="OPENAI_API_KEY"
          valuePlaceholder="secret value"
          secret
          addLabel="Variable"
        />
      </FieldGroup>
      <FieldGroup label="Allowed jobs" name="allowed_job_ids" error={errors.get("allowed_job_ids", true)}>
        <AllowedJobsPicker value={allowed} onChange={setAllowed} />
      </FieldGroup>
      <FormFooter onCancel={onDone} busy={create.isPending}>
        Save credential
      </FormFooter>
    </form>
  );
}

function RotateCredentialForm({ credential, onDone }: { credential: Credential; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [description, setDescription] = useState(credential.description);
  const [env, setEnv] = useState<KeyValueRow[]>(credential.envNames.map((key) => ({ key, value: "" })));
  const [allowed, setAllowed] = useState<string[]>(credential.allowedJobIds);
  const allowedChanged = allowed.length !== credential.allowedJobIds.length || allowed.some((id) => !credential.allowedJobIds.includes(id));
  const update = useMutation(CredentialService.method.updateCredential, {
    onSuccess: () => {
      invalidateService(queryClient, CredentialService);
      onDone();
    },
  });
  const errors = FieldErrors.of(update.error);
  const anyValue = env.some((r) => r.key.trim() && r.value);

  function submit(e: FormEvent) {
    e.preventDefault();
    update.mutate({
      id: credential.id,
      description: description !== credential.description ? description : undefined,
      // An empty env leaves the stored variables alone; otherwise the set is replaced whole.
      env: anyValue ? rowsToMap(env) : {},
      // Unset keeps the stored list; a list (even empty, which allows every job) replaces it.
      allowedJobIds: allowedChanged ? { ids: allowed } : undefined,
    });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label="Edit credential">
      <ErrorBanner error={update.error} fieldErrors={errors} claimed={["description", "env", "allowed_job_ids"]} />
      <p className="text-xs text-zinc-600">
        New values replace every variable of this credential; leave them empty to keep the stored ones. Runs already assigned keep the old values.
      </p>
      <Field label="Description" name="description" error={errors.get("description")}>
        {(a) => <input {...a} className="input" value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <FieldGroup label="New values" name="env" error={errors.get("env", true)}>
        <KeyValueEditor ariaLabel="New values" rows={env} onChange={setEnv} secret addLabel="Variable" />
      </FieldGroup>
      <FieldGroup label="Allowed jobs" name="allowed_job_ids" error={errors.get("allowed_job_ids", true)}>
        <AllowedJobsPicker value={allowed} onChange={setAllowed} />
      </FieldGroup>
      <FormFooter onCancel={onDone} busy={update.isPending} disabled={!anyValue && !allowedChanged && description === credential.description}>
        {anyValue ? "Rotate values" : "Save"}
      </FormFooter>
    </form>
  );
}
