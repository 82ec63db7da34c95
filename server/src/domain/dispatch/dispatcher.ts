import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ConnectResponseSchema } from "../../gen/flightcontrol/v1/worker_pb";
import { specFromJson } from "../../rpc/convert";
import type { Logger } from "../../logger";
import type { RunStore } from "../../storage/run-store";
import type { EventBus } from "../events";
import { freeSlots, matches, type Registry, type WorkerSession } from "./registry";

export interface DispatcherDeps {
  runs: RunStore;
  registry: Registry;
  events: EventBus;
  log: Logger;
  /** Decrypted env for the run's credentials; throws if one no longer exists. */
  credentialEnv(ids: string[]): Promise<Record<string, string>>;
  /** Called once the Assign is on its way, to start the acknowledgement lease. */
  onAssigned(runId: string, attempt: number, workerId: string): void;
  /** A run that cannot be delivered at all (e.g. its credential was deleted). */
  failUndeliverable(runId: string, attempt: number, error: string): Promise<void>;
  /** Milliseconds from the run becoming dispatchable to its Assign being sent. */
  observeDispatch?(ms: number): void;
}

const PAGE = 256;

/**
 * Push dispatch. Nothing polls: kick() is called when a run is queued, a slot frees or a worker
 * connects, and a single timer covers runs waiting out a retry backoff. Kicks that arrive while a
 * pass runs are folded into one more pass.
 */
export function createDispatcher(deps: DispatcherDeps) {
  const { runs, registry, log } = deps;
  let running = false;
  let again = false;
  let scheduled = false;
  let backoffTimer: NodeJS.Timeout | undefined;
  let backoffAt = Infinity;
  let stopped = false;

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (scheduled) return;
    scheduled = true;
    // setImmediate folds a burst of synchronous kicks (e.g. 100 runs created in one tick) into one pass.
    setImmediate(() => {
      scheduled = false;
      void loop();
    });
  }

  async function loop() {
    running = true;
    try {
      do {
        again = false;
        await pass();
      } while (again && !stopped);
    } catch (err) {
      log.error({ err }, "dispatch pass failed");
    } finally {
      running = false;
    }
  }

  function pick(candidates: WorkerSession[], agent: string, labels: Record<string, string>) {
    let best: WorkerSession | undefined;
    for (const s of candidates) {
      if (freeSlots(s) > 0 && matches(s, agent, labels) && (!best || freeSlots(s) > freeSlots(best))) best = s;
    }
    return best;
  }

  async function pass() {
    let sessions = registry.withFreeSlots();
    if (!sessions.length) return;
    const now = Date.now();
    for (const priority of await runs.queuedPriorities()) {
      let afterId = "";
      for (;;) {
        const page = await runs.queued(now, priority, afterId, PAGE);
        if (!page.length) break;
        afterId = page[page.length - 1].id;
        for (const q of page) {
          const target = pick(sessions, q.agent, JSON.parse(q.required_labels));
          if (!target) continue;
          if (!(await runs.claim(q.id, target.workerId, target.name, Date.now()))) continue;
          target.runs.set(q.id, 0);
          void deliver(q.id, target);
          sessions = sessions.filter((s) => freeSlots(s) > 0);
          if (!sessions.length) return;
        }
        if (page.length < PAGE) break;
        // better-sqlite3 is synchronous: without this, a long queue nobody can take holds the event loop for the whole walk.
        await new Promise<void>((resolve) => setImmediate(resolve));
        sessions = sessions.filter((s) => freeSlots(s) > 0 && registry.get(s.workerId) === s);
        if (!sessions.length) return;
      }
    }
    await armBackoffTimer(now);
  }

  async function deliver(runId: string, target: WorkerSession) {
    const row = await runs.get(runId);
    if (!row || row.status !== "assigned" || row.workerId !== target.workerId) {
      target.runs.delete(runId);
      return;
    }
    target.runs.set(runId, row.attempt);
    let env: Record<string, string>;
    const spec = specFromJson(row.spec);
    try {
      env = await deps.credentialEnv(spec.credentialIds);
    } catch (err) {
      target.runs.delete(runId);
      await deps.failUndeliverable(runId, row.attempt, (err as Error).message);
      kick();
      return;
    }
    const sent = target.outbox.push(create(ConnectResponseSchema, {
      message: {
        case: "assign",
        value: {
          runId, attempt: row.attempt, spec, env, jobName: row.jobName,
          deadline: timestampFromMs(Date.now() + row.timeoutSeconds * 1000),
          firstSeq: BigInt(row.lastSeq + 1),
        },
      },
    }));
    if (!sent) {
      // The session closed between claim and send: give the run back without spending an attempt.
      target.runs.delete(runId);
      await runs.unclaim(runId, target.workerId, Date.now());
      kick();
      return;
    }
    deps.events.emit("runChanged", runId, "assigned");
    deps.onAssigned(runId, row.attempt, target.workerId);
    deps.observeDispatch?.(Date.now() - row.availableAt);
  }

  async function armBackoffTimer(now: number) {
    const next = await runs.nextAvailableAt(now);
    if (next == null) return;
    const at = Number(next);
    if (at >= backoffAt) return;
    clearTimeout(backoffTimer);
    backoffAt = at;
    backoffTimer = setTimeout(() => {
      backoffAt = Infinity;
      kick();
    }, Math.max(0, at - Date.now()) + 1);
  }

  return {
    kick,
    stop() {
      stopped = true;
      clearTimeout(backoffTimer);
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
