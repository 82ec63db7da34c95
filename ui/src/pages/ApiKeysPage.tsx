import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { ApiKeyService, Role, type ApiKey } from "../gen/flightcontrol/v1/api_key_pb";
import { useAuth } from "../hooks/useAuth";
import { FieldErrors } from "../lib/errors";
import { invalidateService } from "../lib/invalidate";
import { ROLE_DESCRIPTION, ROLE_LABEL } from "../lib/permissions";
import { PageHeader, Section, Loading, EmptyState } from "../components/PageHeader";
import { Field, FieldGroup } from "../components/Field";
import { KeyValueEditor } from "../components/KeyValueEditor";
import { labelList, rowsToMap, type KeyValueRow } from "../lib/labels";
import { ErrorBanner, InlineError } from "../components/ErrorBanner";
import { Button } from "../components/Button";
import { ConfirmButton } from "../components/ConfirmButton";
import { CopyButton } from "../components/CopyButton";
import { RelativeTime } from "../components/RelativeTime";

const ROLES = [Role.ADMIN, Role.OPERATOR, Role.VIEWER, Role.WORKER];

export function ApiKeysPage() {
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const list = useQuery(ApiKeyService.method.listApiKeys, { includeRevoked });
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ key: string; apiKey?: ApiKey }>();

  return (
    <div>
      <PageHeader
        title="API keys"
        subtitle="Bearer keys for people, scripts and workers."
        actions={
          <>
            <label className="flex items-center gap-1.5 text-sm text-zinc-600">
              <input type="checkbox" className="accent-indigo-600" checked={includeRevoked} onChange={(e) => setIncludeRevoked(e.target.checked)} />
              Show revoked
            </label>
            {!creating && (
              <Button
                variant="primary"
                onClick={() => {
                  setCreated(undefined);
                  setCreating(true);
                }}
              >
                New API key
              </Button>
            )}
          </>
        }
      />
      {created && (
        <div className="mb-4 rounded-lg border border-emerald-300 bg-emerald-50 p-4" role="status" data-testid="new-api-key">
          <p className="text-sm font-medium text-emerald-900">Key “{created.apiKey?.name}” created. Copy it now: it cannot be shown again.</p>
          <div className="mt-2 flex items-center gap-2">
            <code className="flex-1 truncate rounded bg-white px-2 py-1.5 font-mono text-sm ring-1 ring-emerald-200" data-testid="new-api-key-value">
              {created.key}
            </code>
            <CopyButton text={created.key} />
            <Button size="sm" variant="ghost" onClick={() => setCreated(undefined)}>
              Done
            </Button>
          </div>
        </div>
      )}
      {creating && (
        <Section title="New API key" className="mb-4">
          <CreateKeyForm
            onCancel={() => setCreating(false)}
            onCreated={(c) => {
              setCreating(false);
              setCreated(c);
            }}
          />
        </Section>
      )}
      <ErrorBanner error={list.error} />
      <Section>
        {list.isPending ? (
          <Loading />
        ) : !list.data?.apiKeys.length ? (
          <EmptyState>No API keys.</EmptyState>
        ) : (
          <table className="table-dense" data-testid="api-key-table">
            <thead>
              <tr>
                <th>Name</th>
                <th className="w-24">Role</th>
                <th className="w-32">Prefix</th>
                <th className="w-40">Created</th>
                <th className="w-28">Last used</th>
                <th className="w-32" />
              </tr>
            </thead>
            <tbody>
              {list.data.apiKeys.map((k) => (
                <KeyRow key={k.id} apiKey={k} />
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </div>
  );
}

function KeyRow({ apiKey: k }: { apiKey: ApiKey }) {
  const { identity } = useAuth();
  const queryClient = useQueryClient();
  const revoke = useMutation(ApiKeyService.method.revokeApiKey, { onSuccess: () => invalidateService(queryClient, ApiKeyService) });
  const revoked = !!k.revokeTime;
  const self = identity?.id === k.id;
  return (
    <tr data-api-key-id={k.id} className={revoked ? "text-zinc-400" : ""}>
      <td className="font-medium">
        {k.name}
        {self && <span className="ml-2 rounded bg-indigo-50 px-1.5 py-0.5 text-[11px] text-indigo-700">you</span>}
        {revoked && <span className="ml-2 rounded bg-zinc-100 px-1.5 py-0.5 text-[11px] text-zinc-500">revoked</span>}
      </td>
      <td className="text-xs">
        {ROLE_LABEL[k.role]}
        {labelList(k.workerLabels).map((l) => (
          <span
            key={l}
            className="ml-1 rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-[11px] text-zinc-600"
            title="The only labels workers with this key may present"
          >
            {l}
          </span>
        ))}
      </td>
      <td className="font-mono text-xs">{k.prefix}…</td>
      <td className="text-xs">
        <RelativeTime ts={k.createTime} />
        {/* A person's keys are revoked when they stop being an admin here: say whose they are. */}
        {k.createdBy && (
          <div className="truncate text-zinc-500" title={`created by ${k.createdBy}`}>
            by {k.createdBy}
          </div>
        )}
      </td>
      <td className="text-xs">
        <RelativeTime ts={k.lastUsedTime} />
      </td>
      <td className="text-right">
        <InlineError error={revoke.error} />
        {!revoked && (
          <ConfirmButton
            size="sm"
            variant="ghost"
            onConfirm={() => revoke.mutate({ id: k.id })}
            busy={revoke.isPending}
            confirmLabel={self ? "Revoke your own key?" : "Revoke?"}
          >
            Revoke
          </ConfirmButton>
        )}
      </td>
    </tr>
  );
}

function CreateKeyForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (c: { key: string; apiKey?: ApiKey }) => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>(Role.OPERATOR);
  const [labels, setLabels] = useState<KeyValueRow[]>([]);
  const create = useMutation(ApiKeyService.method.createApiKey, {
    onSuccess: (res) => {
      invalidateService(queryClient, ApiKeyService);
      onCreated({ key: res.key, apiKey: res.apiKey });
    },
  });
  const errors = FieldErrors.of(create.error);
  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ name: name.trim(), role, workerLabels: role === Role.WORKER ? rowsToMap(labels) : {} });
  }
  return (
    <form onSubmit={submit} noValidate className="space-y-4 p-4" aria-label="New API key">
      <ErrorBanner error={create.error} fieldErrors={errors} claimed={["name", "role", "worker_labels"]} />
      <div className="grid grid-cols-2 gap-3">
        <Field label="Name" name="name" error={errors.get("name")}>
          {(a) => <input {...a} className="input" value={name} placeholder="ci-pipeline" onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Role" name="role" error={errors.get("role")} hint={ROLE_DESCRIPTION[role]}>
          {(a) => (
            <select {...a} className="input" value={role} onChange={(e) => setRole(Number(e.target.value) as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABEL[r]}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {role === Role.WORKER && (
        <FieldGroup
          label="Bound to labels"
          name="worker_labels"
          error={errors.get("worker_labels", true)}
          hint="Workers using this key may present only these labels (or fewer), so a leaked key cannot attract runs meant for other machines. Empty: any labels."
        >
          <KeyValueEditor
            ariaLabel="Worker labels"
            rows={labels}
            onChange={setLabels}
            keyPlaceholder="pool"
            valuePlaceholder="gpu"
            addLabel="Label"
          />
        </FieldGroup>
      )}
      <div className="flex justify-end gap-2">
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" busy={create.isPending}>
          Create key
        </Button>
      </div>
    </form>
  );
}
