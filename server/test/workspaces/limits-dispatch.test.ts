/**
 * How the dispatcher holds max_concurrent_runs, over an in-memory run store: it counts a limited
 * workspace's held runs inside the claiming transaction, after locking its claims (runs.lockClaims),
 * so runs another replica holds count too; a workspace without a limit costs no lock and no count.
 */
import { describe, expect, it, vi } from "vitest";
import { createDispatcher } from "../../src/domain/dispatch/dispatcher";
import { createRegistry } from "../../src/domain/dispatch/registry";
import { createEventBus } from "../../src/domain/events";
import type { JobRunRow } from "../../src/storage/entities";
import type { RunStore } from "../../src/storage/run-store";
import { fakeDatabase, runRow, session, silent } from "../dispatch/unit/fakes";

const LIMITED = "0190aaaa-0000-7000-8000-000000000001";
const FREE = "0190aaaa-0000-7000-8000-000000000002";

function world(limits: Record<string, number>) {
  const db = fakeDatabase();
  const rows = new Map<string, JobRunRow>();
  const queued = () => [...rows.values()].filter((r) => r.status === "queued").sort((a, b) => a.id.localeCompare(b.id));
  let inTransaction = false;
  const locked: string[][] = [];
  const runs = {
    queuedPriorities: async () => [...new Set(queued().map((r) => r.priority))],
    queued: async (_now: number, priority: number, afterId: string, limit: number) =>
      queued()
        .filter((r) => r.priority === priority && r.id > afterId)
        .slice(0, limit)
        .map((r) => ({ id: r.id, workspace_id: r.workspaceId, agent: r.agent, required_labels: r.requiredLabels, network: null })),
    nextAvailableAt: async () => null,
    transaction: async <T>(fn: (tx: unknown) => Promise<T>) => {
      inTransaction = true;
      try {
        return await fn(undefined);
      } finally {
        inTransaction = false;
      }
    },
    lockClaims: async (ids: string[]) => {
      expect(inTransaction, "the count must be taken in the claiming transaction").toBe(true);
      locked.push([...ids]);
      return new Map(
        ids.map((id) => [id, [...rows.values()].filter((r) => r.workspaceId === id && ["assigned", "running"].includes(r.status)).length]),
      );
    },
    claim: async (id: string, workerId: string, workerName: string) => {
      const r = rows.get(id);
      if (r?.status !== "queued") return undefined;
      const claimed: JobRunRow = { ...r, status: "assigned", workerId, workerName };
      rows.set(id, claimed);
      return claimed;
    },
  } as unknown as RunStore;
  const registry = createRegistry();
  const assigned: string[] = [];
  const dispatcher = createDispatcher({
    runs,
    registry,
    events: createEventBus(),
    log: silent,
    background: db.retry.run,
    openSecrets: async (_ws, spec) => ({ env: {}, spec, gitEnv: {} }),
    onAssigned: (runId) => assigned.push(runId),
    failUndeliverable: async () => {},
    concurrencyLimit: async (ws) => limits[ws] ?? 0,
  });
  const add = (id: string, workspaceId: string, status: JobRunRow["status"] = "queued") =>
    rows.set(id, runRow(id, { status, workspaceId, workerId: status === "queued" ? null : "elsewhere", availableAt: 0 }));
  return { rows, registry, dispatcher, assigned, locked, add };
}

describe("the dispatcher and max_concurrent_runs", () => {
  it("counts runs another replica holds: with 2 of 3 held elsewhere it claims one, and the next when one of those ends", async () => {
    const w = world({ [LIMITED]: 3 });
    w.add("held-1", LIMITED, "running");
    w.add("held-2", LIMITED, "assigned");
    for (let i = 1; i <= 5; i++) w.add(`q${i}`, LIMITED);
    w.registry.add(session("w1", { workspaceId: LIMITED, capacity: 5 }));
    w.dispatcher.kick();
    await vi.waitFor(() => expect(w.assigned).toEqual(["q1"]));
    expect(w.locked).toEqual([[LIMITED]]);
    // The other replica's run ends: the next pass sees it in the count it takes under the lock.
    w.rows.set("held-1", { ...w.rows.get("held-1")!, status: "succeeded" });
    w.dispatcher.kick();
    await vi.waitFor(() => expect(w.assigned).toEqual(["q1", "q2"]));
    w.dispatcher.kick();
    await vi.waitFor(() => expect(w.locked).toHaveLength(3));
    expect(w.assigned).toEqual(["q1", "q2"]);
  });

  it("takes no lock and no count for a workspace without a limit, nor for a limited one this replica has no free worker for", async () => {
    const w = world({ [LIMITED]: 3 });
    for (let i = 1; i <= 3; i++) {
      w.add(`a${i}`, FREE);
      w.add(`b${i}`, LIMITED);
    }
    w.registry.add(session("w1", { workspaceId: FREE, capacity: 3 }));
    w.dispatcher.kick();
    await vi.waitFor(() => expect(w.assigned).toEqual(["a1", "a2", "a3"]));
    expect(w.locked).toEqual([]);
    expect([1, 2, 3].map((i) => w.rows.get(`b${i}`)!.status)).toEqual(["queued", "queued", "queued"]);
  });
});
