import { useState, type FormEvent } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { WorkspaceService, type Workspace } from "../gen/flightcontrol/v1/workspace_pb";
import { invalidateService } from "../lib/invalidate";
import { ErrorBanner } from "./ErrorBanner";
import { FormFooter } from "./FormFooter";

/**
 * Deletes a workspace. The server refuses one that still holds anything unless the cascade box is
 * ticked, and says what it holds; the box says what goes with it.
 */
export function DeleteWorkspaceForm({ workspace, onDone }: { workspace: Workspace; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [cascade, setCascade] = useState(false);
  const remove = useMutation(WorkspaceService.method.deleteWorkspace, {
    onSuccess: () => {
      invalidateService(queryClient, WorkspaceService);
      onDone();
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    remove.mutate({ id: workspace.id, cascade });
  }
  return (
    <form onSubmit={submit} className="space-y-3" aria-label={`Delete ${workspace.name}`}>
      <p className="text-sm text-zinc-700">
        Delete the workspace <strong>{workspace.name}</strong>? This cannot be undone.
      </p>
      <label className="flex items-start gap-2 text-sm text-zinc-700">
        <input type="checkbox" className="mt-0.5 accent-red-600" checked={cascade} onChange={(e) => setCascade(e.target.checked)} />
        <span>
          Also delete everything in it: jobs, runs with their logs, events and artifacts, credentials, schedules, skills, worker records, API keys
          (revoked at once, ending their sessions) and members. Without this, a workspace that still holds anything is not deleted.
        </span>
      </label>
      <ErrorBanner error={remove.error} />
      <FormFooter onCancel={onDone} busy={remove.isPending}>
        Delete workspace
      </FormFooter>
    </form>
  );
}
