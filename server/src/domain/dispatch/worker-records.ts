import { Code, ConnectError } from "@connectrpc/connect";
import type { DataSource } from "typeorm";
import type { Hello } from "../../gen/flightcontrol/v1/worker_pb";
import { WorkerEntity, type WorkerRow } from "../../storage/entities";
import { newId } from "../ids";

/** The workers table: one row per worker name, kept across reconnects so a worker keeps its id. */
export function createWorkerRecords(ds: DataSource) {
  const repo = ds.getRepository(WorkerEntity);
  return {
    repo,
    async upsertFromHello(hello: Hello, now: number): Promise<WorkerRow> {
      const existing = await repo.findOneBy({ name: hello.name });
      const fields = {
        hostname: hello.hostname, labels: JSON.stringify(hello.labels), capacity: hello.capacity,
        agents: JSON.stringify(hello.agents), version: hello.version, state: "online", instanceId: hello.instanceId,
        connectedAt: now, lastHeartbeatAt: now, disconnectedAt: null,
      };
      if (existing) {
        await repo.update({ id: existing.id }, fields);
        return { ...existing, ...fields };
      }
      const row: WorkerRow = { id: newId(now), name: hello.name, ...fields };
      await repo.insert(row);
      return row;
    },
    setState: (id: string, state: "online" | "draining" | "offline", now: number) =>
      repo.update({ id }, state === "offline" ? { state, disconnectedAt: now } : { state }),
    /** The session ended: record when the worker was last heard from. */
    setOffline: (id: string, lastSeen: number, now: number) =>
      repo.update({ id }, { state: "offline", disconnectedAt: now, lastHeartbeatAt: lastSeen }),
    async get(id: string): Promise<WorkerRow> {
      const row = await repo.findOneBy({ id });
      if (!row) throw new ConnectError(`worker ${id} not found`, Code.NotFound);
      return row;
    },
  };
}

export type WorkerRecords = ReturnType<typeof createWorkerRecords>;
