import { describe, expect, it } from "vitest";
import { createDatabaseHealth, type DatabaseStatus } from "../../../src/storage/database-health";
import { fakeClock } from "../../../../testkit/fake-clock";

const full = () => Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });

function world() {
  const clock = fakeClock(0);
  const health = createDatabaseHealth({ clock, firstProbeMs: 100, maxProbeMs: 800 });
  const probes: number[] = [];
  let failing = true;
  health.setProbe(async () => {
    probes.push(clock.now());
    if (failing) throw full();
  });
  const changes: DatabaseStatus[] = [];
  health.onChange((s) => changes.push(s));
  return { clock, health, probes, changes, heal: () => (failing = false) };
}

describe("database health", () => {
  it("probes nothing while the database serves", async () => {
    const w = world();
    expect(w.health.classify(new Error("syntax error"))).toBeInstanceOf(Error);
    await w.clock.advance(60_000);
    expect(w.probes).toEqual([]);
    expect(w.health.status.available).toBe(true);
  });

  it("an outage error marks it down at once; probes back off while it fails; the first success brings it back, once", async () => {
    const w = world();
    const raised = w.health.classify(full());
    expect(raised).toMatchObject({ kind: "unavailable" });
    expect(w.health.status).toMatchObject({ available: false, error: raised });
    // A second failure while down changes no state and starts no second probe loop.
    w.health.classify(full());
    expect(w.changes).toHaveLength(1);
    await w.clock.advance(100 + 200 + 400 + 800 + 800);
    expect(w.probes).toEqual([100, 300, 700, 1500, 2300]);
    w.heal();
    await w.clock.advance(800);
    expect(w.probes.at(-1)).toBe(3100);
    expect(w.changes.map((c) => c.available)).toEqual([false, true]);
    await w.clock.advance(60_000);
    expect(w.probes).toHaveLength(6);
  });

  it("stop() ends the probing", async () => {
    const w = world();
    w.health.classify(full());
    w.health.stop();
    await w.clock.advance(10_000);
    expect(w.probes).toEqual([]);
  });
});
