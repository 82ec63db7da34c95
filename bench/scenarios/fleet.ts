import { apiClient, DispatchRecorder } from "../lib/clients";
import { WORKER_KEY, type BenchServer } from "../lib/server";
import { connection, SimWorker, type Connection } from "../lib/sim-worker";
import { cpuMeter, now, round, rssBytes, sleep } from "../lib/util";
import { dispatchLevel, type DispatchLevel } from "./dispatch";

export interface FleetResult {
  sessions: number;
  sessionsPerConnection: number;
  connections: number;
  connectSeconds: number;
  /** Server RSS idle with no worker (after a warm-up of a few sessions came and went), MiB. */
  rssIdleMiB: number;
  /** Server RSS with every session connected, MiB. */
  rssConnectedMiB: number;
  /** (RSS with N − RSS with 0) / N, KiB. */
  perSessionKiB: number;
  heartbeat: {
    perSessionIntervalMs: number;
    heartbeatsPerSec: number;
    seconds: number;
    /** Server CPU while every session is connected but quiet, % of one core. */
    quietCpuPct: number;
    /** Server CPU while all sessions heartbeat at the fixed rate, % of one core. */
    heartbeatCpuPct: number;
    /** (CPU during heartbeats − CPU while quiet) / heartbeats, µs. */
    cpuPerHeartbeatUs: number;
    /** That cost at the server's default 5 s interval for this fleet, % of one core. */
    cpuPctAtDefaultInterval: number;
    /** Server's Welcome.heartbeat_interval_ms. */
    serverIntervalMs: number;
  };
  dispatch: DispatchLevel;
  errors: number;
}

/**
 * 1,000 simulated worker sessions (real protocol) against a server process: memory per session,
 * CPU per heartbeat, and dispatch latency with the whole fleet connected.
 */
export async function runFleet(
  server: BenchServer,
  opts: {
    sessions: number;
    perConnection: number;
    capacity: number;
    hbIntervalMs: number;
    quietMs: number;
    hbMs: number;
    dispatchRate: number;
    dispatchSeconds: number;
    log: (s: string) => void;
  },
): Promise<FleetResult> {
  const conns: Connection[] = [];
  const sims: SimWorker[] = [];
  const rec = new DispatchRecorder();
  const api = apiClient(server.url);
  let hbTimer: NodeJS.Timeout | undefined;
  try {
    // Warm-up: a few sessions connect and leave, so one-time costs (JIT, first allocations) are not
    // counted as per-session memory.
    {
      const c = connection(server.url, WORKER_KEY);
      const warm = Array.from({ length: 20 }, (_, i) => new SimWorker(c.transport, { name: `warm-${i}`, capacity: opts.capacity }));
      await Promise.all(warm.map((w) => w.start()));
      await Promise.all(warm.map((w) => w.close()));
      c.close();
    }
    await sleep(2000);
    const rss0 = rssBytes(server.pid);

    const t0 = now();
    for (let i = 0; i < opts.sessions; i++) {
      if (i % opts.perConnection === 0) conns.push(connection(server.url, WORKER_KEY));
      sims.push(
        new SimWorker(conns[conns.length - 1].transport, { name: `fleet-${i}`, capacity: opts.capacity, mode: "instant", onAssign: rec.onAssign }),
      );
    }
    // Connect in waves of 50 so the server sees a steady stream of Hellos, not 1,000 at once.
    let welcome: { heartbeatIntervalMs: number } | undefined;
    for (let i = 0; i < sims.length; i += 50) {
      const ws = await Promise.all(sims.slice(i, i + 50).map((s) => s.start()));
      welcome ??= ws[0];
    }
    const connectSeconds = (now() - t0) / 1000;
    opts.log(`  fleet: ${sims.length} sessions connected in ${connectSeconds.toFixed(1)} s over ${conns.length} HTTP/2 connections`);
    await sleep(2000);
    const rssN = rssBytes(server.pid);

    // Quiet window: sessions connected, nothing sent.
    const quiet = cpuMeter(server.pid);
    await sleep(opts.quietMs);
    const q = quiet();

    // Heartbeat window: every session heartbeats every hbIntervalMs, staggered evenly.
    let beats = 0;
    const tick = 10;
    const perTick = (sims.length * tick) / opts.hbIntervalMs;
    let next = 0;
    let owed = 0;
    const hb = cpuMeter(server.pid);
    hbTimer = setInterval(() => {
      owed += perTick;
      while (owed >= 1) {
        sims[next].heartbeat();
        next = (next + 1) % sims.length;
        beats++;
        owed--;
      }
    }, tick);
    await sleep(opts.hbMs);
    clearInterval(hbTimer);
    const h = hb();
    await sleep(200);
    const extraCpuMs = h.cpuMs - (q.cpuMs / q.wallMs) * h.wallMs;
    const cpuPerHeartbeatUs = (extraCpuMs * 1000) / beats;
    const hbRate = (beats / h.wallMs) * 1000;
    opts.log(`  fleet: ${beats} heartbeats at ${Math.round(hbRate)}/s cost ${cpuPerHeartbeatUs.toFixed(1)} µs CPU each`);

    // Dispatch with the whole fleet connected.
    const dispatch = await dispatchLevel(server, api, rec, sims, "fleet", opts.dispatchRate, Math.round(opts.dispatchRate * opts.dispatchSeconds));
    opts.log(`  fleet dispatch @ ${opts.dispatchRate}/s: p50 ${dispatch.latencyMs.p50} ms, p99 ${dispatch.latencyMs.p99} ms`);

    const serverInterval = welcome?.heartbeatIntervalMs ?? 5000;
    return {
      sessions: sims.length,
      sessionsPerConnection: opts.perConnection,
      connections: conns.length,
      connectSeconds: round(connectSeconds, 2),
      rssIdleMiB: round(rss0 / 2 ** 20, 1),
      rssConnectedMiB: round(rssN / 2 ** 20, 1),
      perSessionKiB: round((rssN - rss0) / sims.length / 1024, 1),
      heartbeat: {
        perSessionIntervalMs: opts.hbIntervalMs,
        heartbeatsPerSec: round(hbRate, 0),
        seconds: round(h.wallMs / 1000, 1),
        quietCpuPct: round(q.pct, 1),
        heartbeatCpuPct: round(h.pct, 1),
        cpuPerHeartbeatUs: round(cpuPerHeartbeatUs, 1),
        cpuPctAtDefaultInterval: round((cpuPerHeartbeatUs / 1000) * (sims.length / serverInterval) * 100, 2),
        serverIntervalMs: serverInterval,
      },
      dispatch,
      errors: sims.filter((s) => s.error).length,
    };
  } finally {
    clearInterval(hbTimer);
    await Promise.all(sims.map((s) => s.close(3000)));
    api.conn.close();
    conns.forEach((c) => c.close());
  }
}
