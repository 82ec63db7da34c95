import { create } from "@bufbuild/protobuf";
import { describe, expect, it, vi } from "vitest";
import { RunOutputSchema, RunStatus } from "../../../src/gen/flightcontrol/v1/run_pb";
import { ConnectRequestSchema, type ConnectRequest } from "../../../src/gen/flightcontrol/v1/worker_pb";
import type { Leases } from "../../../src/domain/dispatch/leases";
import { createRegistry } from "../../../src/domain/dispatch/registry";
import type { WorkerRecords } from "../../../src/domain/dispatch/worker-records";
import { createWorkerProtocol } from "../../../src/domain/dispatch/worker-protocol";
import { createEventBus } from "../../../src/domain/events";
import type { Lifecycle } from "../../../src/domain/runs/lifecycle";
import type { JobRunRow } from "../../../src/storage/entities";
import type { LogStore } from "../../../src/storage/log-store";
import type { RunStore } from "../../../src/storage/run-store";
import { fakeClock } from "../../../../testkit/fake-clock";
import { fakeDatabase, runRow, sentTo, session, silent, type TestSession } from "./fakes";

const request = (m: ConnectRequest["message"]) => create(ConnectRequestSchema, { message: m } as never);
const batch = (runId: string, from: number, to: number) =>
  request({
    case: "logBatch",
    value: {
      runId,
      attempt: 1,
      items: Array.from({ length: to - from + 1 }, (_, i) =>
        create(RunOutputSchema, { seq: BigInt(from + i), payload: { case: "log", value: { stream: 1, text: `line ${from + i}` } } }),
      ),
    },
  } as never);
const finish = (runId: string, lastSeq: number) =>
  request({ case: "runFinished", value: { runId, attempt: 1, status: RunStatus.SUCCEEDED, lastSeq: BigInt(lastSeq) } } as never);

/** The protocol over in-memory stores that fail while the fake database is down. */
function world() {
  const clock = fakeClock(1_000_000);
  const db = fakeDatabase();
  const stored = new Map<string, number[]>();
  const rows = new Map<string, JobRunRow>();
  const logs = {
    async append(runId: string, items: Array<{ seq: bigint }>) {
      db.check();
      const seqs = stored.get(runId) ?? [];
      for (const i of items) if (!seqs.includes(Number(i.seq))) seqs.push(Number(i.seq));
      stored.set(runId, seqs);
      return Math.max(...items.map((i) => Number(i.seq)));
    },
  } as unknown as LogStore;
  const runs = {
    get: async (id: string) => db.query(() => rows.get(id) ?? null),
    markStarted: async (id: string) => {
      db.check();
      rows.set(id, { ...rows.get(id)!, status: "running" });
      return { deadlineAt: clock.now() + 60_000, cancelRequested: false, error: "" };
    },
  } as unknown as RunStore;
  const lifecycle = {
    async reportFinish(row: JobRunRow, _w: string, f: { status: JobRunRow["status"] }) {
      db.check();
      rows.set(row.id, { ...row, status: f.status });
      return f.status;
    },
  } as unknown as Lifecycle;
  const workers = { setOffline: vi.fn(async () => db.check()), setState: vi.fn(async () => db.check()) } as unknown as WorkerRecords;
  const leases = { acknowledged: vi.fn(), started: vi.fn(), finished: vi.fn(), watchWorker: vi.fn() } as unknown as Leases;
  const registry = createRegistry();
  const protocol = createWorkerProtocol({
    runs,
    logs,
    workers,
    registry,
    leases,
    lifecycle,
    dispatcher: { kick: vi.fn() },
    events: createEventBus(),
    log: silent,
    background: db.retry.run,
    clock,
    heartbeatIntervalMs: 1000,
    workerLostAfterMs: 15_000,
    flushIntervalMs: 50,
    flushBytes: 65536,
  });
  const s: TestSession = session("w1");
  registry.add(s);
  registry.hold(s, "r1", 1, 0);
  rows.set("r1", runRow("r1", { status: "assigned" }));
  return { db, stored, rows, registry, protocol, s, workers, leases };
}

describe("worker protocol during a database outage", () => {
  it("acknowledges no output past a failed batch until the worker resends it, and records the finish only after it", async () => {
    const w = world();
    await w.protocol.handle(w.s, batch("r1", 1, 3));
    w.db.fail();
    await w.protocol.handle(w.s, batch("r1", 4, 6));
    w.db.recover();
    // Stored fine, but behind the hole: neither stored nor acknowledged, or the cumulative ack would cover seqs 4..6.
    await w.protocol.handle(w.s, batch("r1", 7, 9));
    await w.protocol.handle(w.s, finish("r1", 9));
    expect(w.stored.get("r1")).toEqual([1, 2, 3]);
    expect(sentTo(w.s)).toEqual(["logAck:r1"]);
    expect(w.rows.get("r1")!.status).toBe("assigned");
    expect(w.registry.holderOf("r1")).toBe(w.s);

    // The worker resends everything unacknowledged, oldest first, then the finish.
    for (const m of [batch("r1", 4, 6), batch("r1", 7, 9), finish("r1", 9)]) await w.protocol.handle(w.s, m);
    expect(w.stored.get("r1")).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(
      w.s.sendQueue.sent
        .filter((m) => m.message.case === "logAck")
        .map((m) => [Number((m.message.value as { ackedSeq: bigint }).ackedSeq), (m.message.value as { finished: boolean }).finished]),
    ).toEqual([
      [3, false],
      [6, false],
      [9, false],
      [9, true],
    ]);
    expect(w.rows.get("r1")!.status).toBe("succeeded");
    expect(w.registry.holderOf("r1")).toBeUndefined();
  });

  it("a new session that never saw the failed write still stores nothing past the hole and holds the finish back", async () => {
    const w = world();
    await w.protocol.handle(w.s, batch("r1", 1, 3));
    w.db.fail();
    await w.protocol.handle(w.s, batch("r1", 4, 6));
    w.db.recover();
    // The connection is cut and the worker resumes on a new session, which takes the run at the
    // row's stored seq (reconcile in worker-hello.ts). Whatever order its messages arrive in, the
    // ones past the hole wait: an ack of 9 would make the worker drop the unstored batch 4..6.
    w.protocol.closed(w.s);
    const next: TestSession = session("w1");
    w.registry.add(next);
    w.registry.hold(next, "r1", 1, 3);
    await w.protocol.handle(next, batch("r1", 7, 9));
    await w.protocol.handle(next, finish("r1", 9));
    expect(w.stored.get("r1")).toEqual([1, 2, 3]);
    expect(sentTo(next)).toEqual([]);
    expect(w.rows.get("r1")!.status).toBe("assigned");

    for (const m of [batch("r1", 4, 6), batch("r1", 7, 9), finish("r1", 9)]) await w.protocol.handle(next, m);
    expect(w.stored.get("r1")).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(w.rows.get("r1")!.status).toBe("succeeded");
  });

  it("a finish the database cannot record keeps the run held and unacknowledged; the resent one is recorded", async () => {
    const w = world();
    w.db.fail();
    await w.protocol.handle(w.s, finish("r1", 0));
    expect(sentTo(w.s)).toEqual([]);
    expect(w.registry.holderOf("r1")).toBe(w.s);
    w.db.recover();
    await w.protocol.handle(w.s, finish("r1", 0));
    expect(sentTo(w.s)).toEqual(["logAck:r1"]);
    expect(w.rows.get("r1")!.status).toBe("succeeded");
  });

  it("a RunStarted the database cannot record ends the assignment lease now and is recorded when the database is back", async () => {
    const w = world();
    w.db.fail();
    await w.protocol.handle(w.s, request({ case: "runStarted", value: { runId: "r1", attempt: 1 } } as never));
    expect(w.leases.acknowledged).toHaveBeenCalledWith("r1");
    expect(w.rows.get("r1")!.status).toBe("assigned");
    w.db.recover();
    await vi.waitFor(() => expect(w.rows.get("r1")!.status).toBe("running"));
    expect(w.leases.started).toHaveBeenCalled();
  });

  it("keeps the session through an outage: heartbeats are acknowledged, the disconnect is recorded once the database is back", async () => {
    const w = world();
    w.db.fail();
    await w.protocol.handle(w.s, request({ case: "heartbeat", value: { seq: 7n, draining: false } } as never));
    expect(sentTo(w.s)).toEqual(["heartbeatAck"]);
    expect(w.protocol.isCurrent(w.s)).toBe(true);
    w.protocol.closed(w.s);
    await vi.waitFor(() => expect(w.db.retry.waiting).toBe(1));
    expect(w.leases.watchWorker).toHaveBeenCalledWith("w1", w.s.lastSeen);
    w.db.recover();
    await vi.waitFor(() => expect(w.workers.setOffline).toHaveBeenCalledTimes(2));
    expect(w.db.retry.waiting).toBe(0);
  });
});
