import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { JobSpec } from "../../gen/flightcontrol/v1/spec_pb";
import type { FollowUp } from "../../gen/flightcontrol/v1/worker_pb";
import { specFromJson } from "../../storage/codecs";
import type { Logger } from "../../logger";
import type { RunStore } from "../../storage/run-store";
import type { Sql } from "../../storage/sql";
import { inBackground } from "../background";
import { systemClock, type Clock } from "../clock";
import type { EventBus } from "../events";
import type { JobRunRow } from "../../storage/entities";
import type { RunSecrets } from "../run-secrets";
import type { SkillBundleData } from "../skills/skills";
import { workerMessage } from "./messages";
import { isOutage, type Background } from "./outage-retry";
import { freeSlots, matches, type Registry, type RequiredLabels, type WorkerSession } from "./registry";

export interface DispatcherDeps {
  runs: RunStore;
  registry: Registry;
  events: EventBus;
  log: Logger;
  /** The run's credential env and its snapshot with MCP secrets opened; throws if they cannot be. */
  openSecrets(workspaceId: string, spec: JobSpec, jobId: string | undefined): Promise<RunSecrets>;
  /** What a follow-up's worker needs of its parent (Assign.follow_up); undefined for any other run. */
  followUpOf?(row: JobRunRow): Promise<FollowUp | undefined>;
  /** The files of the run's skill versions (JobRunRow.skills); throws if one is gone. */
  skillBundles?(row: JobRunRow): Promise<SkillBundleData[]>;
  /** Workspaces: the workspace's max_concurrent_runs (0: none); its runs beyond it stay queued. */
  concurrencyLimit?(workspaceId: string): Promise<number>;
  /** Called once the Assign is on its way, to start the acknowledgement lease. */
  onAssigned(runId: string, attempt: number, workerId: string): void;
  /** A run that cannot be delivered at all (e.g. its credential was deleted). */
  failUndeliverable(runId: string, attempt: number, error: string): Promise<void>;
  /** Milliseconds from the run becoming dispatchable to its Assign being sent. */
  observeDispatch?(ms: number): void;
  /** Database work that must survive an outage (outage-retry.ts): giving back a claim that was not delivered. */
  background: Background;
  clock?: Clock;
}

const PAGE = 256;

/**
 * Push dispatch. Nothing polls: kick() is called when a run is queued, a slot frees, a worker
 * connects or the database comes back after an outage, and a single timer covers runs waiting out a
 * retry backoff. Kicks that arrive while a pass runs are folded into one more pass.
 */
export function createDispatcher(deps: DispatcherDeps) {
  const { runs, registry, log } = deps;
  const clock = deps.clock ?? systemClock;
  let running = false;
  let again = false;
  let scheduled = false;
  let backoffTimer: unknown;
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
      inBackground(log, "dispatch pass", loop);
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
      // During an outage the queue stays as it is; the database's return kicks the next pass.
      if (isOutage(err)) log.warn({ reason: (err as Error).message }, "dispatch paused: the database is unavailable");
      else log.error({ err }, "dispatch pass failed");
    } finally {
      running = false;
    }
  }

  function pick(workspaceId: string, agent: string, required: RequiredLabels, network: string | null) {
    let best: WorkerSession | undefined;
    let bestFree = 0;
    for (const s of registry.withFreeSlots()) {
      const n = freeSlots(s);
      // Workspaces: a worker takes only runs of its own key's workspace.
      if (n > bestFree && s.workspaceId === workspaceId && matches(s, agent, required, network ?? "")) {
        best = s;
        bestFree = n;
      }
    }
    return best;
  }

  /** Workspaces' max_concurrent_runs (0: none), read once per pass per workspace met (cached 2 s by the workspaces module). */
  let limits = new Map<string, number>();
  /** Reads the limits of the page's workspaces before its transaction, which (on SQLite) may await nothing else. */
  async function readLimits(workspaceIds: Iterable<string>): Promise<void> {
    if (!deps.concurrencyLimit) return;
    for (const id of workspaceIds) if (!limits.has(id)) limits.set(id, await deps.concurrencyLimit(id));
  }
  /**
   * Inside the page's transaction: locks the claims of the limited workspaces this replica could
   * serve now and reads their assigned+running counts, exact across replicas until the commit, so
   * counting up what this page claims holds the limit. Workspaces without a limit cost nothing.
   */
  async function lockRooms(workspaceIds: Set<string>, tx: Sql): Promise<Map<string, { limit: number; active: number }>> {
    const served = new Set([...registry.withFreeSlots()].map((s) => s.workspaceId));
    const limited = [...workspaceIds].filter((id) => (limits.get(id) ?? 0) > 0 && served.has(id));
    const rooms = new Map<string, { limit: number; active: number }>();
    if (!limited.length) return rooms;
    for (const [id, active] of await runs.lockClaims(limited, tx)) rooms.set(id, { limit: limits.get(id)!, active });
    return rooms;
  }

  async function pass() {
    const free = registry.withFreeSlots();
    if (!free.size) return;
    limits = new Map();
    const now = clock.now();
    for (const priority of await runs.queuedPriorities()) {
      let afterId = "";
      for (;;) {
        const page = await runs.queued(now, priority, afterId, PAGE);
        if (!page.length) break;
        afterId = page[page.length - 1].id;
        // One transaction for the page's claims: a commit per claim would cost more than the claim.
        const claimed: Array<[JobRunRow, WorkerSession]> = [];
        const workspaceIds = new Set(page.map((q) => q.workspace_id));
        await readLimits(workspaceIds);
        try {
          await runs.transaction(async (tx) => {
            const rooms = await lockRooms(workspaceIds, tx);
            for (const q of page) {
              // A limited workspace not locked above (it had no free worker then) waits for the next pass.
              const room = rooms.get(q.workspace_id);
              if (room ? room.active >= room.limit : limits.get(q.workspace_id)) continue;
              const target = pick(q.workspace_id, q.agent, Object.entries(JSON.parse(q.required_labels) as Record<string, string>), q.network);
              if (!target) continue;
              const row = await runs.claim(q.id, target.workerId, target.name, clock.now(), tx);
              if (!row) continue;
              registry.hold(target, q.id, row.attempt, row.lastSeq);
              if (room) room.active++;
              claimed.push([row, target]);
              if (!free.size) break;
            }
          });
        } catch (err) {
          // The claims were rolled back: so are the slots they took.
          for (const [row, target] of claimed) registry.release(target, row.id);
          throw err;
        }
        for (const [row, target] of claimed) inBackground(log, "deliver an Assign", () => deliver(row, target), { runId: row.id });
        if (!free.size || page.length < PAGE) break;
        // better-sqlite3 is synchronous: without this, a long queue nobody can take holds the event loop for the whole walk.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (!free.size) return;
      }
      if (!free.size) return;
    }
    await armBackoffTimer(now);
  }

  /** Gives a claim back without spending an attempt; after an outage, once the database is back. */
  function giveBack(runId: string, workerId: string, why: string) {
    deps.background(
      `give back a claim (${why})`,
      async () => {
        if (await runs.unclaim(runId, workerId, clock.now())) deps.events.emit("runChanged", runId, "queued");
        kick();
      },
      { runId, workerId },
    );
  }

  async function deliver(row: JobRunRow, target: WorkerSession) {
    const runId = row.id;
    let secrets: RunSecrets;
    let followUp: FollowUp | undefined;
    let skills: SkillBundleData[];
    try {
      secrets = await deps.openSecrets(row.workspaceId, specFromJson(row.spec), row.jobId ?? undefined);
      followUp = await deps.followUpOf?.(row);
      skills = (await deps.skillBundles?.(row)) ?? [];
    } catch (err) {
      registry.release(target, runId);
      // Credentials (or a parent) that could not be read now are not missing: the run waits in the queue.
      if (isOutage(err)) return giveBack(runId, target.workerId, "its credentials or its parent run could not be read");
      // Through the outage retry: if the database fails now, the run must not stay claimed by nobody.
      const error = (err as Error).message;
      deps.background(
        "fail an undeliverable run",
        async () => {
          await deps.failUndeliverable(runId, row.attempt, error);
          kick();
        },
        { runId },
      );
      return;
    }
    const sent = target.sendQueue.push(
      workerMessage({
        case: "assign",
        value: {
          runId,
          attempt: row.attempt,
          spec: secrets.spec,
          env: secrets.env,
          gitEnv: secrets.gitEnv,
          followUp,
          jobName: row.jobName,
          deadline: timestampFromMs(clock.now() + row.timeoutSeconds * 1000),
          firstSeq: BigInt(row.lastSeq + 1),
          skills,
        },
      }),
    );
    if (!sent) {
      // The session closed between claim and send.
      registry.release(target, runId);
      giveBack(runId, target.workerId, "the worker's session closed before the Assign was sent");
      return;
    }
    deps.events.emit("runChanged", runId, "assigned");
    deps.onAssigned(runId, row.attempt, target.workerId);
    deps.observeDispatch?.(clock.now() - row.availableAt);
  }

  async function armBackoffTimer(now: number) {
    const next = await runs.nextAvailableAt(now);
    if (next == null) return;
    const at = Number(next);
    if (at >= backoffAt) return;
    clock.clearTimer(backoffTimer);
    backoffAt = at;
    backoffTimer = clock.setTimer(
      () => {
        backoffAt = Infinity;
        kick();
      },
      Math.max(0, at - clock.now()) + 1,
    );
  }

  return {
    kick,
    stop() {
      stopped = true;
      clock.clearTimer(backoffTimer);
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
