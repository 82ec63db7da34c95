import type { Logger } from "../../logger";
import type { JobStore } from "../../storage/job-store";
import type { RunStore } from "../../storage/run-store";
import type { ScheduleStore } from "../../storage/schedule-store";
import type { Registry } from "../dispatch/registry";
import type { EventBus } from "../events";
import type { Lifecycle } from "../runs/lifecycle";
import { systemClock, type Clock } from "../clock";
import { fire, type FireDeps } from "./fire";

/** See fire(): firings first seen later than this are "missed" and follow the misfire policy. */
export const MISFIRE_TOLERANCE_MS = 5_000;
/**
 * The longest the loop sleeps with nothing due. Changes made through this server re-arm the timer
 * at once; this bound is how soon it notices schedules another replica created, or firings a
 * dead replica claimed no more.
 */
export const MAX_SLEEP_MS = 60_000;
const RETRY_MS = 1_000;
const BATCH = 100;

export interface SchedulerDeps {
  store: ScheduleStore;
  jobs: Pick<JobStore, "get">;
  runs: RunStore;
  lifecycle: Pick<Lifecycle, "createRun">;
  registry: Registry;
  events: EventBus;
  log: Logger;
  /** Wakes the dispatcher after runs were created. */
  kick(): void;
  clock?: Clock;
  misfireToleranceMs?: number;
  maxSleepMs?: number;
}

/**
 * Fires cron schedules. One timer, armed for the earliest `next_run_at` in the database and
 * re-armed whenever a schedule changes; no fixed tick. The database is the only state: a restarted
 * or second loop reads the same `next_run_at`s and the atomic claim in fire() lets one of them win.
 */
export function createScheduler(deps: SchedulerDeps) {
  const clock = deps.clock ?? systemClock;
  const { store } = deps;
  const fireDeps: FireDeps = {
    store,
    runs: deps.runs,
    lifecycle: deps.lifecycle,
    getJob: (workspaceId, id) => deps.jobs.get(workspaceId, id),
    cancel: { runs: deps.runs, registry: deps.registry, events: deps.events },
    misfireToleranceMs: deps.misfireToleranceMs ?? MISFIRE_TOLERANCE_MS,
  };
  const maxSleep = deps.maxSleepMs ?? MAX_SLEEP_MS;
  const log = deps.log;

  let stopped = true;
  let timer: unknown;
  let running: Promise<void> | undefined;
  let again = false;
  /** The last pass failed (database or a firing); health reports it until a pass succeeds. */
  let failing = false;

  /**
   * Fires what is due now; returns whether any firing failed and should be retried later.
   * `sweepStart` is when this run of back-to-back passes began: lateness is judged from it, so a
   * thousand schedules due on the same second count as on time however long handling them takes.
   */
  async function pass(sweepStart: number): Promise<boolean> {
    const now = clock.now();
    let failed = false;
    let created = 0;
    for (const s of await store.due(now, BATCH)) {
      if (stopped) break;
      try {
        const out = await fire(fireDeps, s, now, sweepStart);
        if (out.kind === "created") {
          created++;
          log[out.catchUp ? "info" : "debug"](
            { schedule: s.id, run: out.runId, due: s.nextRunAt },
            out.catchUp ? "schedule caught up a missed firing" : "schedule fired",
          );
        } else if (out.kind === "missed" || out.kind === "job_gone") {
          log.info({ schedule: s.id, due: s.nextRunAt, outcome: out.kind }, "schedule firing created no run");
        } else if (out.kind === "overlap_skipped") {
          // Expected while a long run outlives its interval; debug keeps a per-second schedule from flooding the log.
          log.debug({ schedule: s.id, due: s.nextRunAt }, "schedule firing skipped: the previous run is still active");
        }
      } catch (err) {
        failed = true;
        // Unclaimed firings are retried after RETRY_MS; a claimed one is not repeated (at-most-once, see fire()).
        log.error({ err, schedule: s.id, due: s.nextRunAt }, "schedule firing failed");
      }
    }
    if (created) deps.kick();
    return failed;
  }

  async function arm(failed: boolean) {
    const earliest = await store.earliest();
    if (stopped) return;
    const now = clock.now();
    if (!failed && earliest !== null && earliest <= now) {
      again = true;
      return;
    }
    const delay = Math.min(maxSleep, Math.max(failed ? RETRY_MS : 0, earliest === null ? maxSleep : earliest - now));
    setTimer(delay);
  }

  function setTimer(ms: number) {
    clock.clearTimer(timer);
    timer = clock.setTimer(wake, ms);
  }

  function wake() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      const sweepStart = clock.now();
      do {
        again = false;
        try {
          failing = await pass(sweepStart);
          await arm(failing);
        } catch (err) {
          // The database failed outside any one firing; try again rather than stop scheduling.
          failing = true;
          log.error({ err }, "scheduler pass failed");
          if (!stopped) setTimer(RETRY_MS);
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
  }

  return {
    now: () => clock.now(),
    /** Running, and its last pass succeeded. */
    get healthy() {
      return !stopped && !failing;
    },
    start() {
      stopped = false;
      wake();
    },
    /** A schedule was created, changed or deleted: look again and re-arm. */
    changed: () => wake(),
    /** Stops firing; resolves once a pass in flight has finished. */
    async stop() {
      stopped = true;
      clock.clearTimer(timer);
      await running;
    },
    /** Resolves when no pass is in flight (tests). */
    settled: async () => {
      while (running) await running;
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
