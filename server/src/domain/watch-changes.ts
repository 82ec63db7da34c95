import type { EventBus, Events } from "./events";

/** For each event a watch listens to, the id it makes the watcher re-read; undefined to ignore the event. */
export type ChangeMap = { [K in keyof Events]?: (...args: Parameters<Events[K]>) => string | undefined };

/**
 * The ids behind a live list (WatchRuns, WatchWorkers), in batches: every id that changed since the
 * previous batch, once however often it changed, so a slow client gets each object's latest state
 * and never a backlog. Listening starts at the call, not at the first read, so a change made while
 * the caller sends its snapshot is not lost. Ends when `signal` aborts (the RPC ends), which is
 * also what unsubscribes when the caller never reads.
 */
export function watchChanges(events: EventBus, signal: AbortSignal, changes: ChangeMap): AsyncGenerator<string[]> {
  const pending = new Set<string>();
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const offs = (Object.keys(changes) as Array<keyof Events>).map((name) =>
    events.on(name, (...args: unknown[]) => {
      const id = (changes[name] as (...a: unknown[]) => string | undefined)(...args);
      if (id === undefined) return;
      pending.add(id);
      notify();
    }),
  );
  const stop = () => {
    for (const off of offs.splice(0)) off();
    notify();
  };
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });

  return (async function* () {
    try {
      while (!signal.aborted) {
        if (!pending.size) {
          await new Promise<void>((r) => (wake = r));
          continue;
        }
        const ids = [...pending];
        pending.clear();
        yield ids;
      }
    } finally {
      signal.removeEventListener("abort", stop);
      stop();
    }
  })();
}
