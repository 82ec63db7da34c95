/**
 * mulberry32: a tiny seeded PRNG, so a fault schedule is reproducible from its seed alone
 * (ORCH_TEST_FAULT_SEED=<n>). Not for anything but test input.
 */
export function createRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** An integer in [min, max]. */
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    /** Picks by weight: [[value, weight], …]. */
    weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
      let r = next() * choices.reduce((n, [, w]) => n + w, 0);
      for (const [value, w] of choices) if ((r -= w) < 0) return value;
      return choices[choices.length - 1]![0];
    },
    shuffle<T>(items: readonly T[]): T[] {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
  };
}

export type Random = ReturnType<typeof createRandom>;
