/**
 * Coalesces bursts of stream messages into at most one React update per animation frame;
 * a log replay can deliver thousands of batches a second. Hidden tabs get no frames, so they
 * simply catch up when shown again.
 */
export function createFrameBatcher(flush: () => void): { schedule: () => void; cancel: () => void } {
  let handle: number | undefined;
  let timeout: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    handle = undefined;
    timeout = undefined;
    flush();
  };
  return {
    schedule() {
      if (handle !== undefined || timeout !== undefined) return;
      if (typeof requestAnimationFrame === "function") handle = requestAnimationFrame(run);
      else timeout = setTimeout(run, 16);
    },
    cancel() {
      if (handle !== undefined) cancelAnimationFrame(handle);
      if (timeout !== undefined) clearTimeout(timeout);
      handle = undefined;
      timeout = undefined;
    },
  };
}
