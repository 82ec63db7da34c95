import { describe, expect, it, vi } from "vitest";
import { createLeases } from "../../../src/domain/dispatch/leases";
import { createRegistry } from "../../../src/domain/dispatch/registry";
import type { Lifecycle } from "../../../src/domain/runs/lifecycle";
import type { JobRunRow } from "../../../src/storage/entities";
import type { RunStore } from "../../../src/storage/run-store";
import { fakeClock } from "../../../../testkit/fake-clock";
import { fakeDatabase, runRow, sentTo, session, silent } from "./fakes";

const LOST_MS = 15_000;
const ACK_MS = 10_000;
const GRACE_MS = 1_000;

/** Leases over an in-memory runs table that fails while the fake database is down. */
function world() {
  const clock = fakeClock(1_000_000);
  const db = fakeDatabase();
  const rows = new Map<string, JobRunRow>();
  const runs = {
    get: async (id: string) => db.query(() => rows.get(id) ?? null),
    held: async (workerId?: string) =>
      db.query(() => [...rows.values()].filter((r) => ["assigned", "running"].includes(r.status) && (!workerId || r.workerId === workerId))),
  } as unknown as RunStore;
  const ended: string[] = [];
  const lifecycle = {
    async endAttempt(row: JobRunRow, status: string) {
      db.check();
      ended.push(`${row.id}:${status}`);
      rows.set(row.id, { ...row, status: "queued", attempt: row.attempt + 1, workerId: null });
      return "queued";
    },
  } as unknown as Lifecycle;
  const registry = createRegistry();
  const lost: string[] = [];
  const kick = vi.fn();
  const leases = createLeases({
    runs,
    registry,
    lifecycle,
    log: silent,
    kick,
    onWorkerLost: (id) => lost.push(id),
    background: db.retry.run,
    clock,
    workerLostAfterMs: LOST_MS,
    assignAckTimeoutMs: ACK_MS,
    deadlineGraceMs: GRACE_MS,
  });
  return { clock, db, rows, registry, leases, ended, lost, kick };
}

describe("leases", () => {
  it("takes back an assignment a live worker never starts, after the ack timeout and not before", async () => {
    const w = world();
    const s = session("w1", { lastSeen: w.clock.now() });
    w.registry.add(s);
    w.registry.hold(s, "r1", 1, 0);
    w.rows.set("r1", runRow("r1", { status: "assigned" }));
    w.leases.assigned("r1", 1);
    s.lastSeen = w.clock.now() + 1; // a heartbeat after the Assign: the worker is alive
    await w.clock.advance(ACK_MS - 1);
    expect(w.ended).toEqual([]);
    await w.clock.advance(1);
    await vi.waitFor(() => expect(w.ended).toEqual(["r1:lost"]));
    expect(sentTo(s)).toEqual(["cancel:r1"]);
    expect(w.registry.holderOf("r1")).toBeUndefined();
    expect(w.kick).toHaveBeenCalled();
  });

  it("leaves an assignment to a silent worker to the lost-worker lease, and one whose RunStarted arrived alone", async () => {
    const w = world();
    const silentOne = session("w1", { lastSeen: w.clock.now() });
    const started = session("w2", { lastSeen: w.clock.now() });
    for (const [s, run] of [
      [silentOne, "r1"],
      [started, "r2"],
    ] as const) {
      w.registry.add(s);
      w.registry.hold(s, run, 1, 0);
      w.rows.set(run, runRow(run, { status: "assigned", workerId: s.workerId }));
      w.leases.assigned(run, 1);
    }
    started.lastSeen = w.clock.now() + 1;
    // RunStarted came in but the database could not record it: the worker has the run all the same.
    w.leases.acknowledged("r2");
    await w.clock.advance(ACK_MS + 1);
    expect(w.ended).toEqual([]);
    expect(sentTo(silentOne)).toEqual([]);
    expect(sentTo(started)).toEqual([]);
  });

  it("requeues a worker's runs once it has been silent for the lease, re-arming while it is heard from", async () => {
    const w = world();
    const s = session("w1", { lastSeen: w.clock.now() });
    w.registry.add(s);
    w.rows.set("r1", runRow("r1"));
    w.leases.watchWorker("w1", s.lastSeen);
    await w.clock.advance(LOST_MS / 2);
    s.lastSeen = w.clock.now();
    await w.clock.advance(LOST_MS / 2 + 1);
    expect(w.ended).toEqual([]);
    await w.clock.advance(LOST_MS / 2);
    await vi.waitFor(() => expect(w.lost).toEqual(["w1"]));
    expect(w.ended).toEqual(["r1:lost"]);
    expect(w.registry.get("w1")).toBeUndefined();
    expect(s.sendQueue.closed).toBe(true);
  });

  it("a silent worker's lease that expires while the database fails requeues its runs once the database is back", async () => {
    const w = world();
    w.rows.set("r1", runRow("r1"));
    w.leases.watchWorker("w1", w.clock.now());
    w.db.fail();
    await w.clock.advance(LOST_MS);
    await vi.waitFor(() => expect(w.db.retry.waiting).toBe(1));
    expect(w.ended).toEqual([]);
    expect(w.lost).toEqual([]);
    w.db.recover();
    await vi.waitFor(() => expect(w.lost).toEqual(["w1"]));
    expect(w.ended).toEqual(["r1:lost"]);
  });

  it("does not tell a worker to drop a run past its deadline until the database has recorded the timeout", async () => {
    const w = world();
    const s = session("w1", { lastSeen: w.clock.now() });
    w.registry.add(s);
    w.registry.hold(s, "r1", 1, 0);
    w.rows.set("r1", runRow("r1", { status: "running" }));
    w.leases.started("r1", 1, w.clock.now() + 60_000);
    w.db.fail();
    await w.clock.advance(60_000 + GRACE_MS);
    await vi.waitFor(() => expect(w.db.retry.waiting).toBe(1));
    // The agent keeps running rather than being killed for a run nobody requeued.
    expect(sentTo(s)).toEqual([]);
    expect(w.registry.holderOf("r1")).toBe(s);
    w.db.recover();
    await vi.waitFor(() => expect(w.ended).toEqual(["r1:timed_out"]));
    expect(sentTo(s)).toEqual(["cancel:r1"]);
  });

  it("finished() disarms a run's timers", async () => {
    const w = world();
    const s = session("w1", { lastSeen: w.clock.now() });
    w.registry.add(s);
    w.rows.set("r1", runRow("r1", { status: "running" }));
    w.leases.started("r1", 1, w.clock.now() + 1000);
    w.leases.finished("r1");
    expect(w.clock.timers).toEqual([]);
  });
});
