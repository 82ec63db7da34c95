import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createSelfFence, fenceTiming, type SelfFence } from "../src/fence";

describe("fenceTiming", () => {
  it("fences nothing for a lease of 0 (a server that does not send one)", () => {
    expect(fenceTiming(0, 5000, 10_000)).toBeUndefined();
  });

  it("leaves the full kill grace when the lease is long enough", () => {
    // 60 s lease: allowance 1 s, so agents must be dead 59 s after the proof; 10 s of grace before that.
    expect(fenceTiming(60_000, 5000, 10_000)).toEqual({ fireAfterMs: 49_000, deadAfterMs: 59_000 });
  });

  it("never fires before two heartbeat intervals without a newer ack; the grace shrinks instead", () => {
    // The default 15 s lease with 5 s heartbeats and 10 s grace: fires after 10 s, 4 s left to SIGKILL.
    expect(fenceTiming(15_000, 5000, 10_000)).toEqual({ fireAfterMs: 10_000, deadAfterMs: 14_000 });
    // The tests' 2 s lease (heartbeats every 666 ms): fires after 1.33 s, SIGKILL by 1.8 s.
    expect(fenceTiming(2000, 666, 1000)).toEqual({ fireAfterMs: 1332, deadAfterMs: 1800 });
  });

  it("stays within the lease when the heartbeat interval does not fit it", () => {
    expect(fenceTiming(2000, 5000, 1000)).toEqual({ fireAfterMs: 1800, deadAfterMs: 1800 });
    expect(fenceTiming(100, 33, 1000)).toEqual({ fireAfterMs: 0, deadAfterMs: 0 });
  });
});

describe("createSelfFence", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(killGraceMs = 1000) {
    const fired: Array<{ at: number; silentMs: number; graceMs: number }> = [];
    const fence: SelfFence = createSelfFence({
      killGraceMs,
      now: () => Date.now(),
      onFence: (graceMs) => {
        // How long since the server was last heard, as the run's error tells the user.
        const silent = /lost contact with the server for ([\d.]+) s;/.exec(fence.reason("w1"))![1]!;
        fired.push({ at: Date.now(), silentMs: Math.round(Number(silent) * 1000), graceMs });
      },
    });
    return { fence, fired };
  }

  /** Connected at time 0 to a server with the tests' 2 s lease (heartbeats every 666 ms). */
  function connected() {
    const s = setup();
    s.fence.hello();
    s.fence.welcome(2000, 666);
    return s;
  }

  it("counts from the Hello's send time once the Welcome arrives, not from the Welcome", () => {
    const { fence, fired } = setup();
    fence.hello();
    vi.advanceTimersByTime(300);
    fence.welcome(2000, 666);
    vi.advanceTimersByTime(1031);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    // Fired at 1332 after the Hello; SIGKILL due by 1800, so 468 ms of grace.
    expect(fired).toEqual([{ at: 1332, silentMs: 1000, graceMs: 468 }]);
  });

  it("never fires while heartbeats are acknowledged, even slowly", () => {
    const { fence, fired } = connected();
    for (let i = 0; i < 30; i++) {
      const seq = fence.heartbeat();
      // An ack that takes half an interval.
      vi.advanceTimersByTime(333);
      fence.acked(seq);
      vi.advanceTimersByTime(333);
    }
    expect(fired).toEqual([]);
  });

  it("fires once, measured from the send time of the newest acknowledged heartbeat", () => {
    const { fence, fired } = connected();
    vi.advanceTimersByTime(500);
    const first = fence.heartbeat();
    vi.advanceTimersByTime(10);
    const second = fence.heartbeat();
    vi.advanceTimersByTime(100);
    // The second ack covers the first too; a late ack of the first afterwards changes nothing.
    fence.acked(second);
    fence.acked(first);
    // Heartbeats keep going out, but nothing comes back.
    fence.heartbeat();
    vi.advanceTimersByTime(10_000);
    expect(fired).toEqual([{ at: 510 + 1332, silentMs: 1200, graceMs: 468 }]);
  });

  it("ignores acks of heartbeats sent on a stream that ended", () => {
    const { fence, fired } = connected();
    vi.advanceTimersByTime(600);
    const lost = fence.heartbeat();
    fence.disconnected();
    fence.acked(lost);
    vi.advanceTimersByTime(1332 - 600);
    expect(fired.map((f) => f.at)).toEqual([1332]);
  });

  it("a Welcome after a reconnect is a new proof and re-arms with the new lease", () => {
    const { fence, fired } = connected();
    vi.advanceTimersByTime(1000);
    fence.disconnected();
    fence.hello();
    vi.advanceTimersByTime(200);
    fence.welcome(6000, 2000);
    vi.advanceTimersByTime(5399 - 1200);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    // 6 s lease, 2 s heartbeats, 1 s grace: fires 4.4 s after the second Hello (sent at 1000), with the full grace.
    expect(fired).toEqual([{ at: 5400, silentMs: 4200, graceMs: 1000 }]);
  });

  it("a timer that fires late leaves less grace, down to none", () => {
    const { fired } = connected();
    // The event loop was blocked: the wall clock moved on without the timer running.
    vi.setSystemTime(1700);
    vi.advanceTimersByTime(1332);
    expect(fired).toEqual([{ at: 3032, silentMs: 3000, graceMs: 0 }]);
  });

  it("is expired from the fence point until a newer proof arrives", () => {
    const { fence } = connected();
    expect(fence.expired()).toBe(false);
    const seq = fence.heartbeat();
    vi.advanceTimersByTime(1332);
    expect(fence.expired()).toBe(true);
    // A late ack of a heartbeat sent at 0 proves nothing newer than the Hello.
    fence.acked(seq);
    expect(fence.expired()).toBe(true);
    const fresh = fence.heartbeat();
    fence.acked(fresh);
    expect(fence.expired()).toBe(false);
  });

  it("does nothing for a lease of 0, or once stopped", () => {
    const a = setup();
    a.fence.hello();
    a.fence.welcome(0, 5000);
    vi.advanceTimersByTime(60_000);
    expect(a.fired).toEqual([]);
    expect(a.fence.expired()).toBe(false);
    const b = connected();
    b.fence.stop();
    vi.advanceTimersByTime(60_000);
    expect(b.fired).toEqual([]);
  });
});
