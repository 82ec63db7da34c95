import { useState } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { WorkspaceService, type Workspace } from "../gen/flightcontrol/v1/workspace_pb";
import { useAuth } from "../hooks/useAuth";
import { useWorkspace } from "../hooks/useWorkspace";
import { count } from "../lib/format";
import { PageHeader, Section, Loading, EmptyState } from "../components/PageHeader";
import { ErrorBanner } from "../components/ErrorBanner";
import { Button } from "../components/Button";
import { Dialog } from "../components/Dialog";
import { RelativeTime } from "../components/RelativeTime";
import { WorkspaceForm } from "../components/WorkspaceForm";
import { DeleteWorkspaceForm } from "../components/DeleteWorkspaceForm";

/** The default workspace (instance-admin requests without x-workspace-id act in it) cannot be deleted. */
const DEFAULT_WORKSPACE_ID = "00000000-0000-7000-8000-000000000001";

/** Every workspace of the instance, for instance admins: create, rename, limit, delete. */
export function WorkspacesPage() {
  const { instanceAdmin } = useAuth();
  const { current } = useWorkspace();
  const list = useQuery(WorkspaceService.method.listWorkspaces, {}, { enabled: instanceAdmin });
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Workspace>();
  const [deleting, setDeleting] = useState<Workspace>();

  if (!instanceAdmin) {
    return (
      <div>
        <PageHeader title="Not available" />
        <p className="text-sm text-zinc-600">Only instance admins (the bootstrap admin key, or an instance-admin person) manage workspaces.</p>
      </div>
    );
  }
  return (
    <div>
      <PageHeader
        title="Workspaces"
        subtitle="Each has its own jobs, runs, credentials, schedules, skills, workers, API keys and members."
        actions={
          !creating && (
            <Button variant="primary" onClick={() => setCreating(true)}>
              New workspace
            </Button>
          )
        }
      />
      {creating && (
        <Section title="New workspace" className="mb-4">
          <div className="p-4">
            <WorkspaceForm onDone={() => setCreating(false)} />
          </div>
        </Section>
      )}
      <ErrorBanner error={list.error} />
      <Section>
        {list.isPending ? (
          <Loading />
        ) : !list.data?.workspaces.length ? (
          <EmptyState>No workspaces.</EmptyState>
        ) : (
          <table className="table-dense" data-testid="workspace-table">
            <thead>
              <tr>
                <th>Name</th>
                <th className="w-36">Max concurrent runs</th>
                <th className="w-32">Max queued runs</th>
                <th className="w-28">Created</th>
                <th className="w-40" />
              </tr>
            </thead>
            <tbody>
              {list.data.workspaces.map((w) => (
                <tr key={w.id} data-workspace-id={w.id}>
                  <td className="font-medium">
                    {w.name}
                    {w.id === current?.id && <span className="ml-2 rounded bg-indigo-50 px-1.5 py-0.5 text-[11px] text-indigo-700">current</span>}
                  </td>
                  <td className="text-xs tabular-nums">{w.maxConcurrentRuns ? count(w.maxConcurrentRuns) : "no limit"}</td>
                  <td className="text-xs tabular-nums">{w.maxQueuedRuns ? count(w.maxQueuedRuns) : "no limit"}</td>
                  <td className="text-xs">
                    <RelativeTime ts={w.createTime} />
                  </td>
                  <td className="space-x-1 text-right">
                    <Button size="sm" variant="ghost" onClick={() => setEditing(w)}>
                      Edit
                    </Button>
                    {w.id !== DEFAULT_WORKSPACE_ID && (
                      <Button size="sm" variant="ghost" onClick={() => setDeleting(w)}>
                        Delete
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Dialog open={!!editing} onClose={() => setEditing(undefined)} title={`Edit ${editing?.name ?? ""}`} wide>
        {editing && <WorkspaceForm workspace={editing} onDone={() => setEditing(undefined)} />}
      </Dialog>
      <Dialog open={!!deleting} onClose={() => setDeleting(undefined)} title={`Delete ${deleting?.name ?? ""}`}>
        {deleting && <DeleteWorkspaceForm workspace={deleting} onDone={() => setDeleting(undefined)} />}
      </Dialog>
    </div>
  );
}
