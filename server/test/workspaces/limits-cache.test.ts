/**
 * The limits CreateRun and the dispatcher check are read through one 2 s cache: a burst of runs
 * costs one read of the workspace, not one per run, and a change made here takes effect at once.
 */
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createWorkspaces } from "../../src/domain/workspaces/workspaces";
import type { WorkspaceRow } from "../../src/storage/entities";
import type { WorkspaceStore } from "../../src/storage/workspace-store";

function world(limits: { maxConcurrentRuns: number; maxQueuedRuns: number }) {
  const row: WorkspaceRow = { id: "ws1", name: "team", createdAt: 0, updatedAt: 0, ...limits };
  const store = {
    get: vi.fn(async (id: string) => (id === row.id ? { ...row } : null)),
    update: vi.fn(async (_id: string, patch: Partial<WorkspaceRow>) => {
      Object.assign(row, patch);
      return true;
    }),
  };
  let queued = 0;
  const workspaces = createWorkspaces({
    store: store as unknown as WorkspaceStore,
    log: pino({ level: "silent" }),
    revokeKeysOf: async () => 0,
    deleteBlobs: async () => {},
    countQueued: async () => queued,
  });
  return { row, store, workspaces, setQueued: (n: number) => void (queued = n) };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(1_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the limits cache", () => {
  it("CreateRun's queue check reads the workspace once per 2 s, sharing the read with the dispatcher's", async () => {
    const w = world({ maxConcurrentRuns: 4, maxQueuedRuns: 5 });
    for (let i = 0; i < 10; i++) await w.workspaces.assertQueueRoom("ws1");
    expect(await w.workspaces.concurrencyLimit("ws1")).toBe(4);
    expect(w.store.get).toHaveBeenCalledTimes(1);
    vi.setSystemTime(1_000_000 + 2_001);
    await w.workspaces.assertQueueRoom("ws1");
    expect(w.store.get).toHaveBeenCalledTimes(2);
  });

  it("still refuses a full queue from the cached limit, naming the workspace", async () => {
    const w = world({ maxConcurrentRuns: 0, maxQueuedRuns: 2 });
    await w.workspaces.assertQueueRoom("ws1");
    w.setQueued(2);
    await expect(w.workspaces.assertQueueRoom("ws1")).rejects.toThrow('workspace "team" already has 2 queued runs');
    expect(w.store.get).toHaveBeenCalledTimes(1);
  });

  it("an update on this replica takes effect at once for both limits", async () => {
    const w = world({ maxConcurrentRuns: 1, maxQueuedRuns: 1 });
    w.setQueued(1);
    await expect(w.workspaces.assertQueueRoom("ws1")).rejects.toThrow("max_queued_runs");
    expect(await w.workspaces.concurrencyLimit("ws1")).toBe(1);
    await w.workspaces.update({ workspaceId: null }, "ws1", { maxQueuedRuns: 10, maxConcurrentRuns: 3 });
    await w.workspaces.assertQueueRoom("ws1");
    expect(await w.workspaces.concurrencyLimit("ws1")).toBe(3);
  });

  it("a workspace without limits is never refused", async () => {
    const w = world({ maxConcurrentRuns: 0, maxQueuedRuns: 0 });
    w.setQueued(1_000_000);
    await w.workspaces.assertQueueRoom("ws1");
    expect(await w.workspaces.concurrencyLimit("ws1")).toBe(0);
  });
});
