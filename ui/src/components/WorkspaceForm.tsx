import { useState, type ChangeEvent, type FormEvent } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { WorkspaceService, type Workspace } from "../gen/flightcontrol/v1/workspace_pb";
import { FieldErrors } from "../lib/errors";
import { invalidateService } from "../lib/invalidate";
import { ErrorBanner } from "./ErrorBanner";
import { Field } from "./Field";
import { FormFooter } from "./FormFooter";

/** A limit field's text as the contract's number: empty is 0, which means no limit. */
const limit = (text: string) => (text.trim() === "" ? 0 : Number(text));
const limitText = (n: number | undefined) => (n ? String(n) : "");

/** Creates a workspace, or (given `workspace`) renames it and changes its limits. */
export function WorkspaceForm({ workspace, onDone }: { workspace?: Workspace; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(workspace?.name ?? "");
  const [maxConcurrent, setMaxConcurrent] = useState(limitText(workspace?.maxConcurrentRuns));
  const [maxQueued, setMaxQueued] = useState(limitText(workspace?.maxQueuedRuns));
  const onSuccess = () => {
    // The switcher lists workspaces from the same cache.
    invalidateService(queryClient, WorkspaceService);
    onDone();
  };
  const create = useMutation(WorkspaceService.method.createWorkspace, { onSuccess });
  const update = useMutation(WorkspaceService.method.updateWorkspace, { onSuccess });
  const error = workspace ? update.error : create.error;
  const errors = FieldErrors.of(error);

  function submit(e: FormEvent) {
    e.preventDefault();
    const fields = { name: name.trim(), maxConcurrentRuns: limit(maxConcurrent), maxQueuedRuns: limit(maxQueued) };
    if (!workspace) return create.mutate(fields);
    // Only what changed: unset fields keep their value, and a rename needs no right to change limits.
    update.mutate({
      id: workspace.id,
      name: fields.name !== workspace.name ? fields.name : undefined,
      maxConcurrentRuns: fields.maxConcurrentRuns !== workspace.maxConcurrentRuns ? fields.maxConcurrentRuns : undefined,
      maxQueuedRuns: fields.maxQueuedRuns !== workspace.maxQueuedRuns ? fields.maxQueuedRuns : undefined,
    });
  }

  const limitInput = (value: string, set: (v: string) => void) => ({
    type: "number",
    min: 0,
    step: 1,
    className: "input",
    placeholder: "no limit",
    value,
    onChange: (e: ChangeEvent<HTMLInputElement>) => set(e.target.value),
  });
  return (
    <form onSubmit={submit} noValidate className="space-y-3" aria-label={workspace ? `Edit ${workspace.name}` : "New workspace"}>
      <ErrorBanner error={error} fieldErrors={errors} claimed={["name", "max_concurrent_runs", "max_queued_runs"]} />
      <div className="grid grid-cols-3 gap-3">
        <Field label="Name" name="name" error={errors.get("name")}>
          {(a) => <input {...a} className="input" value={name} placeholder="team-a" onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Max concurrent runs" name="max_concurrent_runs" error={errors.get("max_concurrent_runs")} hint="Empty: no limit.">
          {(a) => <input {...a} {...limitInput(maxConcurrent, setMaxConcurrent)} />}
        </Field>
        <Field label="Max queued runs" name="max_queued_runs" error={errors.get("max_queued_runs")} hint="Empty: no limit.">
          {(a) => <input {...a} {...limitInput(maxQueued, setMaxQueued)} />}
        </Field>
      </div>
      <FormFooter onCancel={onDone} busy={create.isPending || update.isPending} disabled={!name.trim()}>
        {workspace ? "Save" : "Create workspace"}
      </FormFooter>
    </form>
  );
}
