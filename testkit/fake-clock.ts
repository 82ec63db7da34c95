import type { Clock } from "../server/src/domain/clock";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock tests move by hand. Timers due at the same instant fire together before anything is
 * awaited, so two schedulers on one clock really race; after each batch the clock waits until
 * every scheduler registered with `settles` has finished its pass.
 */
export function fakeClock(start: number) {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, Timer>();
  const settles: Array<() => Promise<void>> = [];
  const settleAll = async () => {
    // A pass may arm a 0 ms timer, or settle after another pass began; settle until quiet.
    for (let i = 0; i < 3; i++) for (const s of settles) await s();
  };
  const clock: Clock & {
    readonly timers: Timer[];
    settles: typeof settles;
    advanceTo(target: number): Promise<void>;
    advance(ms: number): Promise<void>;
    set(ms: number): void;
  } = {
    now: () => now,
    setTimer(fn, ms) {
      const t = { id: nextId++, at: now + Math.max(0, ms), fn };
      timers.set(t.id, t);
      return t.id;
    },
    clearTimer: (h) => void timers.delete(h as number),
    get timers() {
      return [...timers.values()].sort((a, b) => a.at - b.at);
    },
    settles,
    async advanceTo(target) {
      for (let guard = 0; ; guard++) {
        if (guard > 1_000_000) throw new Error("fake clock: timers keep firing without time passing");
        await settleAll();
        const first = clock.timers[0];
        if (!first || first.at > target) break;
        now = Math.max(now, first.at);
        const batch = clock.timers.filter((t) => t.at === first.at);
        for (const t of batch) timers.delete(t.id);
        for (const t of batch) t.fn();
      }
      now = Math.max(now, target);
      await settleAll();
    },
    advance: (ms) => clock.advanceTo(now + ms),
    /** Jumps without firing timers: time that passed while no scheduler was running. */
    set(ms) {
      now = ms;
    },
  };
  return clock;
}
export type FakeClock = ReturnType<typeof fakeClock>;
