import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { JobSpec } from "../../gen/flightcontrol/v1/spec_pb";
import { ConnectResponseSchema } from "../../gen/flightcontrol/v1/worker_pb";
import { specFromJson } from "../../storage/codecs";
import type { Logger } from "../../logger";
import type { RunStore } from "../../storage/run-store";
import type { EventBus } from "../events";
import type { JobRunRow } from "../../storage/entities";
import type { RunSecrets } from "../run-secrets";
import { freeSlots, matches, type Registry, type RequiredLabels, type WorkerSession } from "./registry";

export interface DispatcherDeps {
  runs: RunStore;
  registry: Registry;
  events: EventBus;
  log: Logger;
  /** The run's credential env and its snapshot with MCP secrets opened; throws if they cannot be. */
  openSecrets(spec: JobSpec, jobId: string | undefined): Promise<RunSecrets>;
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
    // A microtask folds the kicks of one tick (e.g. 100 runs created by one request) into one pass
    // and runs it before the reply that caused it is written: the Assign goes out ~0.5 ms sooner.
    queueMicrotask(() => {
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

  function pick(agent: string, required: RequiredLabels) {
    let best: WorkerSession | undefined;
    let bestFree = 0;
    for (const s of registry.withFreeSlots()) {
      const n = freeSlots(s);
      if (n > bestFree && matches(s, agent, required)) {
        best = s;
        bestFree = n;
      }
    }
    return best;
  }

  async function pass() {
    const free = registry.withFreeSlots();
    if (!free.size) return;
    const now = Date.now();
    for (const priority of await runs.queuedPriorities()) {
      let afterId = "";
      for (;;) {
        const page = await runs.queued(now, priority, afterId, PAGE);
        if (!page.length) break;
        afterId = page[page.length - 1].id;
        // One transaction for the page's claims: a commit per claim would cost more than the claim.
        const claimed: Array<[JobRunRow, WorkerSession]> = [];
        try {
          await runs.transaction(async (tx) => {
            for (const q of page) {
              const target = pick(q.agent, Object.entries(JSON.parse(q.required_labels) as Record<string, string>));
              if (!target) continue;
              const row = await runs.claim(q.id, target.workerId, target.name, Date.now(), tx);
              if (!row) continue;
              registry.hold(target, q.id, row.attempt);
              claimed.push([row, target]);
              if (!free.size) break;
            }
          });
        } catch (err) {
          // The claims were rolled back: so are the slots they took.
          for (const [row, target] of claimed) registry.release(target, row.id);
          throw err;
        }
        for (const [row, target] of claimed) void deliver(row, target);
        if (!free.size || page.length < PAGE) break;
        // better-sqlite3 is synchronous: without this, a long queue nobody can take holds the event loop for the whole walk.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (!free.size) return;
      }
      if (!free.size) return;
    }
    await armBackoffTimer(now);
  }

  async function deliver(row: JobRunRow, target: WorkerSession) {
    const runId = row.id;
    let secrets: RunSecrets;
    try {
      secrets = await deps.openSecrets(specFromJson(row.spec), row.jobId ?? undefined);
    } catch (err) {
      registry.release(target, runId);
      await deps.failUndeliverable(runId, row.attempt, (err as Error).message);
      kick();
      return;
    }
    const sent = target.sendQueue.push(create(ConnectResponseSchema, {
      message: {
        case: "assign",
        value: {
          runId, attempt: row.attempt, spec: secrets.spec, env: secrets.env, jobName: row.jobName,
          deadline: timestampFromMs(Date.now() + row.timeoutSeconds * 1000),
          firstSeq: BigInt(row.lastSeq + 1),
        },
      },
    }));
    if (!sent) {
      // The session closed between claim and send: give the run back without spending an attempt.
      registry.release(target, runId);
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
