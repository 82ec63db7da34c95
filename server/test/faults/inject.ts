import { setTimeout as delay } from "node:timers/promises";
import type { Client } from "@connectrpc/connect";
import { type RunService, RunStatus, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { waitFor } from "../../../testkit/wait-for";
import type { Slot, WorkerIncarnation } from "./fleet";
import type { Sample } from "./stats";

export type FaultKind = "kill" | "restart" | "cut" | "partition";

interface Fault {
  kind: FaultKind;
  /** Another fault was in progress at some point during this one: its timings are kept apart. */
  overlapped: boolean;
}

export interface FaultContext {
  seed: number;
  lostAfterMs: number;
  slots: Slot[];
  runs: Client<typeof RunService>;
  /** SIGKILLs the server process; start() brings it back on the same port and data dir. */
  server: { kill(): Promise<void>; start(): Promise<void> };
  /** A read retried while the server is down. */
  retry<T>(fn: () => Promise<T>, what: string): Promise<T>;
  note(line: string): void;
  samples: Sample[];
}

const TERMINAL = new Set([RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.TIMED_OUT, RunStatus.LOST]);

/**
 * The four faults, each measured while it plays out: a worker SIGKILL (kill → its runs requeued →
 * running again; the replacement connected), a server SIGKILL and restart (kill → server ready →
 * every worker's session back), a cut of worker connections at the proxy (cut → session back), and
 * a partition of one worker for longer than the lease (its runs requeued → running elsewhere; the
 * worker stops its own agents before that, worker/src/fence.ts).
 */
export function createInjector(ctx: FaultContext) {
  const { slots, runs } = ctx;
  const active = new Set<Fault>();
  const begin = (kind: FaultKind): Fault => {
    const f: Fault = { kind, overlapped: active.size > 0 };
    for (const g of active) g.overlapped = true;
    active.add(f);
    return f;
  };
  // A sample taken before another fault began is clean even if that fault overlaps the rest of this one.
  const sample = (f: Fault, name: string, ms: number) => ctx.samples.push({ name, ms, clean: !f.overlapped });

  /** The first session the incarnation opened at or after `t`; undefined if a later fault killed it first. */
  async function reconnected(inc: WorkerIncarnation, t: number, what: string): Promise<number | undefined> {
    const dead = () => inc.child.exitCode !== null || inc.child.signalCode !== null;
    const c = await waitFor(() => inc.connects.find((x) => x >= t) ?? (dead() ? -1 : undefined), { timeoutMs: 30_000, intervalMs: 10, what });
    return c < 0 ? undefined : c;
  }

  async function withFault(kind: FaultKind, body: (f: Fault) => Promise<void>) {
    const f = begin(kind);
    try {
      await body(f);
    } finally {
      active.delete(f);
    }
  }

  /** Polls a run until `done` says so; undefined once it ended without. */
  const watchRun = (id: string, what: string, done: (r: Run) => boolean) =>
    waitFor(
      async () => {
        const r = await runs.getRun({ id }).then(
          (x) => x.run!,
          () => undefined,
        );
        if (!r) return undefined;
        if (done(r)) return { t: Date.now(), run: r };
        return TERMINAL.has(r.status) ? { t: -1, run: r } : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 10, what },
    );

  /** Kill → the run back in the queue as its next attempt → running again somewhere. */
  async function observeRequeue(f: Fault, held: Run, t0: number, path: string) {
    const requeued = await watchRun(held.id, `run ${held.id} to be requeued`, (r) => r.attempt > held.attempt);
    // A run the victim finished just before the kill has nothing to requeue.
    if (requeued.t < 0) return;
    sample(f, `worker SIGKILL -> run requeued (via ${path})`, requeued.t - t0);
    const again = await watchRun(held.id, `run ${held.id} to run again`, (r) => r.attempt > held.attempt && r.status === RunStatus.RUNNING);
    if (again.t >= 0) sample(f, `worker SIGKILL -> run running again (via ${path})`, again.t - t0);
  }

  // Kills of one slot run one after another, each after the previous replacement connected: two
  // overlapping kills of a slot would otherwise both schedule a replacement, i.e. two processes
  // with one name and work dir, which no supervisor does.
  const slotChains = new Map<number, Promise<unknown>>();
  const kill = (slotIndex: number, replaceAfterMs: number) => {
    const next = (slotChains.get(slotIndex) ?? Promise.resolve()).catch(() => {}).then(() => killNow(slotIndex, replaceAfterMs));
    slotChains.set(slotIndex, next);
    return next;
  };

  const killNow = (slotIndex: number, replaceAfterMs: number) =>
    withFault("kill", async (f) => {
      const slot = slots[slotIndex]!;
      const held = (
        await ctx.retry(
          () => runs.listRuns({ labels: { seed: String(ctx.seed) }, statuses: [RunStatus.ASSIGNED, RunStatus.RUNNING], pageSize: 500 }),
          "held runs",
        )
      ).runs.filter((r) => r.workerName === slot.name);
      const t0 = Date.now();
      await slot.kill();
      ctx.note(`SIGKILL ${slot.name} (held ${held.length}); replacement in ${replaceAfterMs} ms`);
      // Before the lease expires, the replacement's Hello (without the runs) is what requeues them.
      const path = replaceAfterMs > ctx.lostAfterMs ? "lease expiry" : "replacement's Hello";
      const replaced = (async () => {
        await delay(replaceAfterMs);
        const inc = slot.start();
        await reconnected(inc, t0, `${inc.tag} to connect`);
      })();
      await Promise.all([replaced, ...held.map((r) => observeRequeue(f, r, t0, path))]);
    });

  const restart = (downMs: number) =>
    withFault("restart", async (f) => {
      const t0 = Date.now();
      await ctx.server.kill();
      ctx.note(`SIGKILL server; down for ${downMs} ms`);
      await delay(downMs);
      await ctx.server.start();
      const ready = Date.now();
      sample(f, "server SIGKILL -> restarted server ready", ready - t0);
      await Promise.all(
        slots.map(async (s) => {
          const inc = s.current;
          if (!inc) return;
          // Any session after the kill is with the new server; one may open before the readiness poll answers.
          const c = await reconnected(inc, t0, `${inc.tag} to reconnect after the server restart`);
          if (c === undefined) return;
          sample(f, "server SIGKILL -> worker session back", c - t0);
          sample(f, "restarted server ready -> worker session back", Math.max(0, c - ready));
        }),
      );
    });

  const cut = (targets: number[], refuseMs: number) =>
    withFault("cut", async (f) => {
      const t0 = Date.now();
      for (const i of targets) slots[i]!.proxy.cut(refuseMs);
      ctx.note(`cut ${targets.map((i) => slots[i]!.name).join(",")}; refusing for ${refuseMs} ms`);
      await Promise.all(
        targets.map(async (i) => {
          const inc = slots[i]!.current;
          if (!inc) return;
          const c = await reconnected(inc, t0, `${inc.tag} to reconnect after a cut`);
          if (c !== undefined) sample(f, `proxy cut (refuse ${refuseMs ? "100-400" : "0"} ms) -> worker session back`, c - t0);
        }),
      );
    });

  /**
   * One worker out of touch for `ms` (longer than the lease): its connection reset and new ones
   * refused, or frozen (half-open: both ends still think it is up).
   */
  const partition = (slotIndex: number, ms: number, halfOpen: boolean) =>
    withFault("partition", async (f) => {
      const slot = slots[slotIndex]!;
      const inc = slot.current;
      const held = (
        await ctx.retry(() => runs.listRuns({ labels: { seed: String(ctx.seed) }, statuses: [RunStatus.RUNNING], pageSize: 500 }), "held runs")
      ).runs.filter((r) => r.workerName === slot.name);
      const t0 = Date.now();
      inc?.partitionedAt.push(t0);
      if (halfOpen) slot.proxy.freeze();
      else slot.proxy.cut(ms);
      const how = halfOpen ? "half-open" : "reset";
      ctx.note(`partition ${slot.name} (${how}, held ${held.length}) for ${ms} ms`);
      const back = (async () => {
        await delay(ms);
        if (halfOpen) slot.proxy.thaw();
        if (!inc) return;
        const c = await reconnected(inc, t0, `${inc.tag} to reconnect after a partition`);
        if (c !== undefined) sample(f, `partition (${how}, lease + 0.5-1.5 s) -> worker session back`, c - t0);
      })();
      await Promise.all([
        back,
        ...held.map(async (r) => {
          const again = await watchRun(
            r.id,
            `run ${r.id} to run again after a partition`,
            (x) => x.attempt > r.attempt && x.status === RunStatus.RUNNING,
          );
          if (again.t >= 0) sample(f, `partition -> its run running elsewhere`, again.t - t0);
        }),
      ]);
    });

  return { kill, restart, cut, partition };
}
