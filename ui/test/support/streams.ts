/** A server-stream handler body that stays open until the client goes away. */
export async function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** A server stream that sends nothing and ends when the client goes away: a quiet WatchRuns or WatchWorkers. */
// biome-ignore lint/correctness/useYield: it sends no message on purpose; Connect takes a server stream as an async generator.
export async function* silentStream(signal: AbortSignal): AsyncGenerator<never> {
  await untilAborted(signal);
}
