import type { Logger } from "../../logger";
import type { ArtifactStore } from "../../storage/artifact-store";
import type { BlobStore } from "../../storage/blobs/blob-store";
import { inBackground } from "../background";
import { systemClock, type Clock } from "../clock";

export interface ArtifactRetentionDeps {
  store: ArtifactStore;
  blobs: BlobStore;
  /** 0 keeps artifacts forever. */
  retentionDays: number;
  log: Logger;
  clock?: Clock;
  /** How often the prune runs; an hour by default. */
  intervalMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rows deleted per query, so one prune never holds a long transaction. */
const PAGE = 500;

/**
 * Deletes artifacts older than ORCH_ARTIFACT_RETENTION_DAYS: one timer for all of them, not one per
 * artifact. The blob goes first, then the row, so a failure leaves a row the next prune retries
 * rather than a blob nothing points to.
 */
export function createArtifactRetention(deps: ArtifactRetentionDeps) {
  const { store, blobs, log } = deps;
  const clock = deps.clock ?? systemClock;
  const intervalMs = deps.intervalMs ?? 60 * 60 * 1000;
  let timer: unknown;
  let stopped = false;

  async function prune(): Promise<number> {
    if (deps.retentionDays <= 0) return 0;
    const before = clock.now() - deps.retentionDays * DAY_MS;
    let removed = 0;
    for (;;) {
      const old = await store.olderThan(before, PAGE);
      for (const a of old) {
        await blobs.delete(a.id);
        if (await store.remove(a.id)) removed++;
      }
      if (old.length < PAGE) break;
    }
    if (removed) log.info({ removed, retentionDays: deps.retentionDays }, "deleted artifacts past their retention");
    return removed;
  }

  function schedule() {
    if (stopped) return;
    timer = clock.setTimer(() => {
      inBackground(log, "prune old artifacts", async () => {
        try {
          await prune();
        } finally {
          schedule();
        }
      });
    }, intervalMs);
  }

  return {
    prune,
    start() {
      if (deps.retentionDays <= 0) return;
      stopped = false;
      // The first prune runs soon after start, not an interval later.
      inBackground(log, "prune old artifacts", () => prune());
      schedule();
    },
    stop() {
      stopped = true;
      clock.clearTimer(timer);
    },
  };
}

export type ArtifactRetention = ReturnType<typeof createArtifactRetention>;
