import type { Hello } from "../../gen/flightcontrol/v1/worker_pb";
import type { WorkerRow } from "../../storage/entities";
import type { WorkerStore } from "../../storage/worker-store";
import { notFound } from "../errors";
import { newId } from "../ids";

/**
 * Worker records as the sessions and the worker RPCs use them: a Hello becomes the worker's row
 * (a known name keeps its id), and a missing worker is NotFound.
 */
export function createWorkerRecords(store: WorkerStore) {
  return {
    list: (workspaceId: string) => store.list(workspaceId),
    /** The row if it is in the workspace, or null: for readers that skip a worker deleted (or moved) meanwhile. */
    find: (workspaceId: string, id: string) => store.inWorkspace(workspaceId, id),
    byName: (name: string) => store.byName(name),
    setState: store.setState,
    setOffline: store.setOffline,

    /** A new row starts with no session: nothing can resume it until setSession (worker-hello.ts). */
    upsertFromHello: (hello: Hello, workspaceId: string, now: number): Promise<WorkerRow> =>
      store.upsert(
        hello.name,
        {
          hostname: hello.hostname,
          labels: JSON.stringify(hello.labels),
          capacity: hello.capacity,
          agents: JSON.stringify(hello.agents),
          agentVersions: JSON.stringify(hello.agentVersions),
          version: hello.version,
          state: "online",
          instanceId: hello.instanceId,
          connectedAt: now,
          lastHeartbeatAt: now,
          disconnectedAt: null,
          workspaceId,
        },
        newId(now),
        { sessionTokenHash: "", apiKeyId: "" },
      ),
    /** Who holds the worker's name from now on: only a Hello with this session's token (and key) resumes it. */
    setSession: store.setSession,

    /** NotFound unless the worker is in the workspace. */
    async get(workspaceId: string, id: string): Promise<WorkerRow> {
      const row = await store.inWorkspace(workspaceId, id);
      if (!row) throw notFound("worker", id);
      return row;
    },
  };
}

export type WorkerRecords = ReturnType<typeof createWorkerRecords>;
