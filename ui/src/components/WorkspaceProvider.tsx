import { Fragment, useCallback, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from "react";
import { createClient } from "@connectrpc/connect";
import { createConnectQueryKey, useQuery, useTransport } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { ApiKeyService, type WhoAmIResponse } from "../gen/flightcontrol/v1/api_key_pb";
import { WorkspaceService } from "../gen/flightcontrol/v1/workspace_pb";
import { useAuth } from "../hooks/useAuth";
import { WorkspaceContext, type WorkspaceState } from "../hooks/useWorkspace";
import { WORKSPACE_HEADER } from "../lib/request-headers";
import { chooseWorkspace } from "../lib/workspace-choice";
import { getWorkspaceId, rememberedWorkspace, rememberWorkspace, setWorkspaceId, subscribeWorkspaceId } from "../lib/workspace-store";
import { errorMessage } from "../lib/errors";
import { Button } from "./Button";
import { Loading } from "./PageHeader";

interface Switch {
  id: string;
  who: WhoAmIResponse;
}

/**
 * Picks the workspace the dashboard acts in (the transport sends it as x-workspace-id) and switches
 * between them. A switch unmounts every page first (closing their WatchRuns/WatchWorkers streams),
 * then empties the query cache, then mounts the pages again for the new workspace: nothing of the
 * previous one can show or be written back.
 */
export function WorkspaceProvider({ children }: { children: ReactNode }) {
  const { identityId, workspaceId: answeredFor } = useAuth();
  const transport = useTransport();
  const queryClient = useQueryClient();
  const selected = useSyncExternalStore(subscribeWorkspaceId, getWorkspaceId, getWorkspaceId);
  const list = useQuery(WorkspaceService.method.listWorkspaces, {}, { staleTime: 60_000 });
  const [switching, setSwitching] = useState<Switch | null>(null);
  const [failure, setFailure] = useState<unknown>(null);

  const workspaces = useMemo(() => list.data?.workspaces ?? [], [list.data]);
  const choice = list.data && identityId ? chooseWorkspace(workspaces, rememberedWorkspace(identityId), answeredFor) : undefined;

  const select = useCallback(
    async (id: string) => {
      // WhoAmI there first: the role in the new workspace decides what the pages offer, and a refusal
      // leaves the dashboard where it was.
      const who = await createClient(ApiKeyService, transport).whoAmI({}, { headers: { [WORKSPACE_HEADER]: id } });
      if (identityId) rememberWorkspace(identityId, id);
      setSwitching({ id, who });
    },
    [transport, identityId],
  );

  useEffect(() => {
    if (!switching) return;
    // The pages are unmounted by now (this render showed none).
    const whoKey = createConnectQueryKey({ schema: ApiKeyService.method.whoAmI, input: {}, transport, cardinality: "finite" });
    const listKey = createConnectQueryKey({ schema: WorkspaceService.method.listWorkspaces, input: {}, transport, cardinality: "finite" });
    // Which workspaces the caller may act in does not depend on the one acted in: kept.
    const listed = queryClient.getQueryData(listKey);
    queryClient.clear();
    queryClient.setQueryData(whoKey, switching.who);
    if (listed) queryClient.setQueryData(listKey, listed);
    setWorkspaceId(switching.id);
    setSwitching(null);
  }, [switching, queryClient, transport]);

  // First choice after signing in: nothing of the workspace has been fetched yet, except WhoAmI.
  useEffect(() => {
    if (!choice || choice === selected || switching || failure) return;
    if (selected === null && choice === answeredFor) {
      if (identityId) rememberWorkspace(identityId, choice);
      setWorkspaceId(choice);
    } else select(choice).catch(setFailure);
  }, [choice, selected, answeredFor, identityId, switching, failure, select]);

  const value = useMemo<WorkspaceState>(
    () => ({ workspaces, current: workspaces.find((w) => w.id === selected), select }),
    [workspaces, selected, select],
  );

  if (failure) {
    return (
      <div className="flex min-h-screen items-center justify-center px-4">
        <div className="card max-w-md space-y-2 p-6" role="alert">
          <h1 className="font-semibold">Cannot open the workspace</h1>
          <p className="text-sm text-zinc-600">{errorMessage(failure)}</p>
          <Button variant="primary" onClick={() => setFailure(null)}>
            Try again
          </Button>
        </div>
      </div>
    );
  }
  // A server that will not list workspaces (an older one, or a role it does not allow) still serves
  // the pages, in the workspace it picks itself.
  const settled = list.isError || (!!list.data && (choice === undefined || choice === selected));
  if (switching || !settled) return <Loading label="Opening the workspace…" />;
  return (
    <WorkspaceContext.Provider value={value}>
      {/* Keyed by workspace: a switch mounts every page afresh, with new streams and no old state. */}
      <Fragment key={selected ?? ""}>{children}</Fragment>
    </WorkspaceContext.Provider>
  );
}
