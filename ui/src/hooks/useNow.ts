import { useSyncExternalStore } from "react";

// Shared clocks for relative times ("3 min ago") and running durations. They only re-render
// labels; no data is fetched on these timers.
interface Clock {
  now: number;
  listeners: Set<() => void>;
  timer?: ReturnType<typeof setInterval>;
  subscribe: (l: () => void) => () => void;
}

const clocks = new Map<number, Clock>();

function clock(intervalMs: number): Clock {
  const c = clocks.get(intervalMs);
  if (c) return c;
  const created: Clock = {
    now: Date.now(),
    listeners: new Set(),
    subscribe(l) {
      created.listeners.add(l);
      created.timer ??= setInterval(() => {
        created.now = Date.now();
        created.listeners.forEach((fn) => fn());
      }, intervalMs);
      return () => {
        created.listeners.delete(l);
        if (created.listeners.size === 0 && created.timer) {
          clearInterval(created.timer);
          created.timer = undefined;
        }
      };
    },
  };
  clocks.set(intervalMs, created);
  return created;
}

export function useNow(intervalMs = 10_000): number {
  const c = clock(intervalMs);
  return useSyncExternalStore(
    c.subscribe,
    () => c.now,
    () => c.now,
  );
}
