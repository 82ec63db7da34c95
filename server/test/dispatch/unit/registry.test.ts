import { describe, expect, it } from "vitest";
import { createRegistry, matches } from "../../../src/domain/dispatch/registry";
import { session } from "./fakes";

describe("registry", () => {
  it("indexes free slots and run holders as sessions take and free slots", () => {
    const registry = createRegistry();
    const a = session("a", { capacity: 2 });
    const b = session("b", { capacity: 1 });
    registry.add(a);
    registry.add(b);
    expect([...registry.withFreeSlots()]).toEqual([a, b]);

    registry.hold(b, "r1", 1, 0);
    expect(registry.holderOf("r1")).toBe(b);
    expect([...registry.withFreeSlots()]).toEqual([a]);
    registry.hold(a, "r2", 1, 0);
    registry.hold(a, "r3", 2, 0);
    expect(registry.withFreeSlots().size).toBe(0);

    registry.release(a, "r2");
    expect(registry.holderOf("r2")).toBeUndefined();
    expect([...registry.withFreeSlots()]).toEqual([a]);
    registry.setDraining(a);
    expect(registry.withFreeSlots().size).toBe(0);
  });

  it("a session replaced by its worker's reconnect is not removed by the old one's end", () => {
    const registry = createRegistry();
    const old = session("w", { runs: new Map([["r1", 1]]) });
    registry.add(old);
    const current = session("w", { runs: new Map([["r1", 1]]) });
    registry.remove(old);
    registry.add(current);
    registry.remove(old);
    expect(registry.get("w")).toBe(current);
    expect(registry.holderOf("r1")).toBe(current);
    // The old session can no longer take slots in the index.
    registry.hold(old, "r9", 1, 0);
    expect(registry.holderOf("r9")).toBeUndefined();
    expect([...registry.withFreeSlots()]).toEqual([current]);
  });

  it("matches a run to a worker by agent and every required label", () => {
    const s = session("w", { agents: new Set(["shell", "goose"]), labels: { gpu: "yes", zone: "a" } });
    expect(matches(s, "goose", [["gpu", "yes"]])).toBe(true);
    expect(matches(s, "codex", [])).toBe(false);
    expect(
      matches(s, "shell", [
        ["gpu", "yes"],
        ["zone", "b"],
      ]),
    ).toBe(false);
  });
});
