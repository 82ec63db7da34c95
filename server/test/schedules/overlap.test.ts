import { DEFAULT_WORKSPACE_ID } from "../../src/storage/entities";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSendQueue } from "../../../shared-src/send-queue";
import type { ConnectResponse } from "../../src/gen/flightcontrol/v1/worker_pb";
import { at, fakeClock, iso, openEnv, type Env } from "./harness";

let env: Env;
beforeEach(async () => {
  env = await openEnv();
});
afterEach(async () => {
  await env.close();
});

const T0 = "2025-06-01T10:00:00Z";

/** An every-10-seconds schedule; no worker is connected, so its runs stay queued (active) until the test ends them. */
async function every10s(overlap: "allow" | "skip" | "cancel_previous") {
  const clock = fakeClock(at(T0));
  const id = await env.schedule(await env.job(), clock.now(), { cron: "*/10 * * * * *", overlap, name: `overlap ${overlap}` });
  env.scheduler(clock).start();
  await clock.advanceTo(at("2025-06-01T10:00:10Z"));
  const [first] = await env.runsOf(id);
  expect(first.status).toBe("queued");
  return { clock, id, first };
}

describe("overlap policy (the previous run from the schedule is still queued, assigned or running)", () => {
  it("allow: a new run anyway", async () => {
    const { clock, id } = await every10s("allow");
    await clock.advanceTo(at("2025-06-01T10:00:20Z"));
    const runs = await env.runsOf(id);
    expect(runs.map((r) => r.status)).toEqual(["queued", "queued"]);
    expect((await env.store.get(DEFAULT_WORKSPACE_ID, id))!.lastRunId).toBe(runs[1].id);
  });

  it("skip: no run while the previous is active, next_run_at still advances; once it ends, runs resume", async () => {
    const { clock, id, first } = await every10s("skip");
    await clock.advanceTo(at("2025-06-01T10:00:30Z"));
    expect(await env.runsOf(id)).toHaveLength(1);
    let row = (await env.store.get(DEFAULT_WORKSPACE_ID, id))!;
    expect(iso(row.nextRunAt)).toBe("2025-06-01T10:00:40.000Z");
    expect(row.lastRunId).toBe(first.id);
    expect(iso(row.lastRunAt)).toBe("2025-06-01T10:00:10.000Z");

    await env.runs.cancelQueued(first.id, "done with it", Date.now());
    await clock.advanceTo(at("2025-06-01T10:00:40Z"));
    const runs = await env.runsOf(id);
    expect(await env.fired(id)).toEqual(["2025-06-01T10:00:10.000Z", "2025-06-01T10:00:40.000Z"]);
    row = (await env.store.get(DEFAULT_WORKSPACE_ID, id))!;
    expect(row.lastRunId).toBe(runs[1].id);
  });

  it("cancel_previous: a queued previous run is cancelled (as CancelRun does) and the new one created", async () => {
    const { clock, id, first } = await every10s("cancel_previous");
    const changes: string[] = [];
    env.events.on("runChanged", (runId, status) => changes.push(`${runId === first.id ? "first" : "new"}:${status}`));
    await clock.advanceTo(at("2025-06-01T10:00:20Z"));
    const runs = await env.runsOf(id);
    expect(runs.map((r) => r.status)).toEqual(["cancelled", "queued"]);
    expect(runs[0]).toMatchObject({ cancelRequested: true, error: 'cancelled: schedule "overlap cancel_previous" started its next run' });
    expect(changes).toEqual(["first:cancelled", "new:queued"]);
    expect((await env.store.get(DEFAULT_WORKSPACE_ID, id))!.lastRunId).toBe(runs[1].id);
  });

  it("cancel_previous: a running previous run gets a Cancel pushed to its worker and is marked cancel-requested", async () => {
    const { clock, id, first } = await every10s("cancel_previous");
    // A worker holds the first run and has started it.
    const sendQueue = createSendQueue<ConnectResponse>();
    env.registry.add({
      workerId: "w1",
      name: "worker-1",
      workspaceId: DEFAULT_WORKSPACE_ID,
      instanceId: "i1",
      labels: {},
      agents: new Set(["shell"]),
      capacity: 1,
      draining: false,
      runs: new Map([[first.id, 1]]),
      sendQueue,
      lastSeen: Date.now(),
      output: new Map(),
    });
    expect((await env.runs.claim(first.id, "w1", "worker-1", Date.now()))?.status).toBe("assigned");
    expect(await env.runs.markStarted(first.id, "w1", 1, Date.now())).toMatchObject({ cancelRequested: false });

    await clock.advanceTo(at("2025-06-01T10:00:20Z"));
    const runs = await env.runsOf(id);
    expect(runs.map((r) => r.status)).toEqual(["running", "queued"]);
    expect(runs[0].cancelRequested).toBeTruthy();
    expect(sendQueue.size).toBe(1);
    const msg = (await sendQueue[Symbol.asyncIterator]().next()).value as ConnectResponse;
    expect(msg.message).toMatchObject({ case: "cancel", value: { runId: first.id, abandon: false } });
  });

  it("cancel_previous and skip do nothing special when the previous run has ended", async () => {
    for (const overlap of ["skip", "cancel_previous"] as const) {
      const clock = fakeClock(at(T0));
      const id = await env.schedule(await env.job(), clock.now(), { cron: "*/10 * * * * *", overlap });
      const scheduler = env.scheduler(clock);
      scheduler.start();
      await clock.advanceTo(at("2025-06-01T10:00:10Z"));
      const [first] = await env.runsOf(id);
      await env.runs.cancelQueued(first.id, "ended", Date.now());
      await clock.advanceTo(at("2025-06-01T10:00:20Z"));
      expect((await env.runsOf(id)).map((r) => [r.status, r.error])).toEqual([
        ["cancelled", "ended"],
        ["queued", ""],
      ]);
      await scheduler.stop();
    }
  });
});
