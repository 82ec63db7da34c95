/**
 * Self-fence. The server requeues a worker's runs `leaseMs` after it last heard from the worker
 * (Welcome.lease_ms), and its lease clock restarts on every message it receives. The worker cannot
 * see that clock, but it has lower bounds for when the server last heard from it: the send time of
 * its latest acknowledged heartbeat, and the send time of the current session's Hello once the
 * Welcome came back. Nothing it does later can have been heard earlier, so the server cannot
 * requeue before `proof + leaseMs`. A worker that hears nothing new stops its agents before then,
 * so a run never executes on two workers at once, even when the connection only looks alive
 * (half-open TCP).
 *
 * One timer, re-armed whenever a newer proof arrives; times come from a monotonic clock.
 */

export interface FenceTiming {
  /** The fence fires this long after the newest proof was sent. */
  fireAfterMs: number;
  /** Every fenced agent must be dead this long after the proof was sent: the lease minus an allowance. */
  deadAfterMs: number;
}

/**
 * When to fence, for a lease, the heartbeat interval and the agents' kill grace; undefined for a
 * lease of 0 (a server that does not say: no fencing).
 *
 * - The allowance (a tenth of the lease, 200 ms..1 s) covers a timer firing late on a busy event
 *   loop and the kernel delivering SIGKILL; the server's requeue is late, never early, so it needs none.
 * - Ideally the fence fires kill grace + allowance before the lease ends, so agents get their full
 *   SIGTERM grace. But it never fires before two heartbeat intervals have passed without a newer
 *   acknowledgement: a heartbeat that is merely late must not cost a run. With short leases (the
 *   server sends a heartbeat interval of at most a third of the lease) that shortens the grace: a
 *   2 s lease with a 667 ms interval fires after 1.33 s and leaves the agents 0.47 s before SIGKILL;
 *   the default 15 s lease with 5 s heartbeats fires after 10 s and leaves 4 s.
 */
export function fenceTiming(leaseMs: number, heartbeatMs: number, killGraceMs: number): FenceTiming | undefined {
  if (leaseMs <= 0) return undefined;
  const allowance = Math.min(1000, Math.max(200, leaseMs / 10));
  const deadAfterMs = Math.max(0, leaseMs - allowance);
  const earliest = Math.min(2 * heartbeatMs, deadAfterMs);
  return { fireAfterMs: Math.max(earliest, deadAfterMs - killGraceMs), deadAfterMs };
}

export interface SelfFence {
  /** A Hello is about to be sent: its send time becomes a proof once the Welcome arrives. */
  hello(): void;
  /** The Welcome of the current session: the lease, the heartbeat interval, and proof the Hello was heard. */
  welcome(leaseMs: number, heartbeatMs: number): void;
  /** Numbers a heartbeat about to be sent and remembers when. */
  heartbeat(): bigint;
  /** The server acknowledged a heartbeat: proof it heard from us no earlier than that heartbeat's sending. */
  acked(seq: bigint): void;
  /** The stream ended: heartbeats sent on it will never be acknowledged. */
  disconnected(): void;
  /**
   * The fence point has passed with no newer proof: the server may already have given our runs
   * away. An Assign arriving now may be stale (held up in a partition), so it must not start.
   */
  expired(): boolean;
  /** The message for a run stopped because of the fence. */
  reason(workerName: string): string;
  stop(): void;
}

export interface FenceOptions {
  killGraceMs: number;
  /** Stop every running agent now: SIGTERM, and SIGKILL after `graceMs`. */
  onFence(graceMs: number): void;
  now?: () => number;
}

export function createSelfFence(opts: FenceOptions): SelfFence {
  const now = opts.now ?? (() => performance.now());
  const pending = new Map<bigint, number>();
  let nextSeq = 1n;
  let helloAt: number | undefined;
  let timing: FenceTiming | undefined;
  let proofAt = -Infinity;
  let heardAt = now();
  let timer: NodeJS.Timeout | undefined;

  function arm() {
    clearTimeout(timer);
    timer = undefined;
    if (!timing) return;
    timer = setTimeout(fire, Math.max(0, proofAt + timing.fireAfterMs - now()));
    // The connection and its reconnect loop keep the worker alive; the fence alone must not.
    timer.unref();
  }

  function fire() {
    timer = undefined;
    if (!timing) return;
    // A timer that fired late leaves less time before the server may requeue: the grace shrinks with it.
    const left = proofAt + timing.deadAfterMs - now();
    opts.onFence(Math.max(0, Math.min(opts.killGraceMs, left)));
  }

  function proven(sentAt: number) {
    heardAt = now();
    if (sentAt <= proofAt) return;
    proofAt = sentAt;
    arm();
  }

  return {
    hello() {
      helloAt = now();
    },
    welcome(leaseMs, heartbeatMs) {
      timing = fenceTiming(leaseMs, heartbeatMs, opts.killGraceMs);
      if (helloAt !== undefined) {
        heardAt = now();
        proofAt = Math.max(proofAt, helloAt);
      }
      // Re-armed even without a newer proof: the lease may differ from the last session's.
      arm();
    },
    heartbeat() {
      const seq = nextSeq++;
      pending.set(seq, now());
      return seq;
    },
    acked(seq) {
      const sentAt = pending.get(seq);
      if (sentAt === undefined) return;
      // Acks come in order: anything older can no longer be acknowledged.
      for (const s of pending.keys()) if (s <= seq) pending.delete(s);
      proven(sentAt);
    },
    disconnected() {
      pending.clear();
      helloAt = undefined;
    },
    expired: () => timing !== undefined && now() >= proofAt + timing.fireAfterMs,
    reason: (workerName) =>
      `worker ${workerName} lost contact with the server for ${((now() - heardAt) / 1000).toFixed(1)} s; stopped the agent so the run can be retried on another worker`,
    stop() {
      timing = undefined;
      arm();
    },
  };
}
