import { describe, expect, it, vi } from "vitest";
import { createDispatcher } from "../../../src/domain/dispatch/dispatcher";
import { createRegistry } from "../../../src/domain/dispatch/registry";
import { createEventBus } from "../../../src/domain/events";
import type { JobRunRow } from "../../../src/storage/entities";
import type { RunStore } from "../../../src/storage/run-store";
import { fakeClock } from "../../../../testkit/fake-clock";
import { fakeDatabase, outageError, runRow, sentTo, session, silent } from "./fakes";

/** A dispatcher over an in-memory queue that fails while the fake database is down. */
function world() {
  const clock = fakeClock(1_000_000);
  const db = fakeDatabase();
  const rows = new Map<string, JobRunRow>();
  const queued = () => [...rows.values()].filter((r) => r.status === "queued");
  const runs = {
    queuedPriorities: async () => db.query(() => [...new Set(queued().map((r) => r.priority))].sort((a, b) => b - a)),
    queued: async (now: number, priority: number, afterId: string, limit: number) =>
      db.query(() =>
        queued()
          .filter((r) => r.priority === priority && r.id > afterId && r.availableAt <= now)
          .sort((a, b) => a.id.localeCompare(b.id))
          .slice(0, limit)
          .map((r) => ({ id: r.id, workspace_id: r.workspaceId, agent: r.agent, required_labels: r.requiredLabels })),
      ),
    nextAvailableAt: async (now: number) =>
      db.query(
        () =>
          Math.min(
            ...queued()
              .map((r) => r.availableAt)
              .filter((t) => t > now),
          ) || null,
      ),
    transaction: async <T>(fn: (tx: unknown) => Promise<T>) => db.query(() => fn(undefined)),
    claim: async (id: string, workerId: string, workerName: string) => {
      db.check();
      const r = rows.get(id);
      if (r?.status !== "queued") return undefined;
      const claimed: JobRunRow = { ...r, status: "assigned", workerId, workerName };
      rows.set(id, claimed);
      return claimed;
    },
    unclaim: async (id: string, workerId: string) => {
      db.check();
      const r = rows.get(id);
      if (r?.status !== "assigned" || r.workerId !== workerId) return false;
      rows.set(id, { ...r, status: "queued", workerId: null, workerName: null });
      return true;
    },
  } as unknown as RunStore;
  const registry = createRegistry();
  const assigned: string[] = [];
  const credentials = { fail: undefined as undefined | (() => Error) };
  const dispatcher = createDispatcher({
    runs,
    registry,
    events: createEventBus(),
    log: silent,
    background: db.retry.run,
    clock,
    openSecrets: async (_workspaceId, spec) => {
      if (credentials.fail) throw credentials.fail();
      return { env: {}, spec, gitEnv: {} };
    },
    onAssigned: (runId, attempt, workerId) => assigned.push(`${runId}@${attempt}->${workerId}`),
    failUndeliverable: vi.fn(async () => {}),
  });
  const queue = (id: string, over: Partial<JobRunRow> = {}) =>
    rows.set(id, runRow(id, { status: "queued", workerId: null, workerName: null, availableAt: clock.now(), spec: '{"agent":"shell"}', ...over }));
  return { clock, db, rows, registry, dispatcher, assigned, credentials, queue };
}

describe("dispatcher", () => {
  it("pushes queued runs to matching workers with free slots in priority order, only as many as there are slots", async () => {
    const w = world();
    const s = session("w1", { capacity: 2 });
    w.registry.add(s);
    w.queue("r1", { priority: 0 });
    w.queue("r2", { priority: 5 });
    w.queue("r3", { priority: 0 });
    w.queue("g1", { agent: "goose" });
    w.dispatcher.kick();
    await vi.waitFor(() => expect(w.assigned).toEqual(["r2@1->w1", "r1@1->w1"]));
    expect(sentTo(s)).toEqual(["assign:r2", "assign:r1"]);
    expect(w.rows.get("r3")!.status).toBe("queued");
    expect(w.rows.get("g1")!.status).toBe("queued");
  });

  it("dispatches a run waiting out its retry backoff when the clock reaches it, on one timer", async () => {
    const w = world();
    w.registry.add(session("w1"));
    w.queue("r1", { availableAt: w.clock.now() + 5_000 });
    w.dispatcher.kick();
    await vi.waitFor(() => expect(w.clock.timers).toHaveLength(1));
    await w.clock.advance(4_999);
    expect(w.assigned).toEqual([]);
    await w.clock.advance(2);
    await vi.waitFor(() => expect(w.assigned).toEqual(["r1@1->w1"]));
  });

  it("a pass that meets an outage leaves the queue as it is, and the next kick after the outage dispatches", async () => {
    const w = world();
    w.registry.add(session("w1"));
    w.queue("r1");
    w.db.fail();
    w.dispatcher.kick();
    await new Promise((r) => setImmediate(r));
    expect(w.rows.get("r1")!.status).toBe("queued");
    expect(w.registry.withFreeSlots().size).toBe(1);
    w.db.recover();
    w.dispatcher.kick();
    await vi.waitFor(() => expect(w.assigned).toEqual(["r1@1->w1"]));
  });

  it("credentials that cannot be read during an outage give the claim back once the database returns, without failing the run", async () => {
    const w = world();
    const s = session("w1");
    w.registry.add(s);
    w.queue("r1");
    w.credentials.fail = () => {
      w.db.fail();
      return outageError();
    };
    w.dispatcher.kick();
    await vi.waitFor(() => expect(w.db.retry.waiting).toBe(1));
    expect(w.rows.get("r1")!.status).toBe("assigned");
    expect(s.runs.size).toBe(0);
    w.credentials.fail = undefined;
    w.db.recover();
    // Given back, then dispatched again by the kick that follows.
    await vi.waitFor(() => expect(w.assigned).toEqual(["r1@1->w1"]));
    expect(sentTo(s)).toEqual(["assign:r1"]);
  });
});
