import { describe, expect, it } from "vitest";
import { reconnectDelayMs, waitUnlessAborted } from "../src/reconnect-backoff";

describe("reconnectDelayMs", () => {
  it("doubles the cap per failure from the minimum up to the maximum, and jitters below it", () => {
    const top = () => 1;
    expect([0, 1, 2, 3, 10].map((f) => reconnectDelayMs(f, 200, 10_000, top))).toEqual([200, 400, 800, 1600, 10_000]);
    expect(reconnectDelayMs(1_000_000, 200, 10_000, top)).toBe(10_000);
    expect(reconnectDelayMs(3, 200, 10_000, () => 0.25)).toBe(400);
    expect(reconnectDelayMs(3, 200, 10_000, () => 0)).toBe(0);
  });
});

describe("waitUnlessAborted", () => {
  it("ends at once when aborted, and leaves no listener on the signal", async () => {
    const controller = new AbortController();
    let listeners = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...a: Parameters<typeof add>) => {
      listeners++;
      add(...a);
    }) as typeof add;
    signal.removeEventListener = ((...a: Parameters<typeof remove>) => {
      listeners--;
      remove(...a);
    }) as typeof remove;

    const t0 = Date.now();
    await waitUnlessAborted(5, signal);
    expect(listeners).toBe(0);

    const long = waitUnlessAborted(60_000, signal);
    controller.abort();
    await long;
    expect(Date.now() - t0).toBeLessThan(5_000);
    await waitUnlessAborted(60_000, signal); // already aborted: no wait at all
  });
});
