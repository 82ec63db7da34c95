import { describe, expect, it } from "vitest";
import { createEventBus, type EventBus } from "../../src/domain/events";
import { watchChanges } from "../../src/domain/watch-changes";

/** An event bus that counts its live subscriptions. */
function countingBus() {
  const events = createEventBus();
  let n = 0;
  const bus: EventBus = {
    emit: events.emit,
    on: (name, fn) => {
      n++;
      const off = events.on(name, fn);
      return () => {
        n--;
        off();
      };
    },
  };
  return { bus, listening: () => n };
}

describe("watchChanges", () => {
  it("coalesces ids that changed while the reader was busy into one batch, each id once", async () => {
    const events = createEventBus();
    const abort = new AbortController();
    const changes = watchChanges(events, abort.signal, { runChanged: (id) => id });
    events.emit("runChanged", "a", "running");
    events.emit("runChanged", "b", "running");
    events.emit("runChanged", "a", "succeeded");
    expect((await changes.next()).value).toEqual(["a", "b"]);
    abort.abort();
  });

  it("listens from the call on, before the first read (changes during a snapshot are kept)", async () => {
    const events = createEventBus();
    const abort = new AbortController();
    const changes = watchChanges(events, abort.signal, { workerChanged: (id) => id });
    events.emit("workerChanged", "w1");
    expect((await changes.next()).value).toEqual(["w1"]);
    abort.abort();
  });

  it("wakes a waiting reader, maps events to ids and ignores events mapped to undefined", async () => {
    const events = createEventBus();
    const abort = new AbortController();
    const holders = new Map([["run-1", "worker-1"]]);
    const changes = watchChanges(events, abort.signal, {
      workerChanged: (id) => id,
      runChanged: (runId) => holders.get(runId),
    });
    const next = changes.next();
    events.emit("runChanged", "run-without-holder", "queued");
    events.emit("runChanged", "run-1", "running");
    expect((await next).value).toEqual(["worker-1"]);
    abort.abort();
  });

  it("ends a waiting reader when the signal aborts, and unsubscribes", async () => {
    const { bus: counting, listening } = countingBus();
    const abort = new AbortController();
    const changes = watchChanges(counting, abort.signal, { runChanged: (id) => id, workerChanged: (id) => id });
    expect(listening()).toBe(2);
    const next = changes.next();
    abort.abort();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(listening()).toBe(0);
  });

  it("unsubscribes on abort even when nobody ever read (the RPC failed before its loop)", () => {
    const { bus: counting, listening } = countingBus();
    const abort = new AbortController();
    watchChanges(counting, abort.signal, { runChanged: (id) => id });
    expect(listening()).toBe(1);
    abort.abort();
    expect(listening()).toBe(0);
  });

  it("unsubscribes when the reader stops early (the client went away)", async () => {
    const { bus, listening } = countingBus();
    const abort = new AbortController();
    const seen: string[][] = [];
    const changes = watchChanges(bus, abort.signal, { runChanged: (id) => id });
    bus.emit("runChanged", "a", "queued");
    for await (const ids of changes) {
      seen.push(ids);
      break;
    }
    expect(seen).toEqual([["a"]]);
    expect(listening()).toBe(0);
  });
});
