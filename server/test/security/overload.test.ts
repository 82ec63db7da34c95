/**
 * Overload, against the server as its own process (so its memory can be read from /proc): ten
 * thousand queued runs that nothing can take (a connected worker whose labels match none of them, so
 * every dispatch pass walks the whole queue) and 200 open WatchRun streams — GetStats still answers
 * within 100 ms at the 99th percentile and memory stays bounded.
 */
import { setMaxListeners } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { SystemService } from "../../src/gen/flightcontrol/v1/system_pb";
import { bearer } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { freePort } from "../../../testkit/free-port";
import { startServerProcess, type ServerProcess } from "../../../testkit/server-process";
import { FULL } from "./support/fuzz";
import { handWorker, hello, type HandWorker } from "../../../testkit/worker-session";
import { cloneQueuedRun, percentile, rssMiB } from "./support/load";

const QUEUED = 10_000;
const WATCHERS = 200;
const dataDir = mkdtempSync(join(tmpdir(), "fc-overload-"));
let server: ServerProcess;
const hands: HandWorker[] = [];

const transport = () => createGrpcTransport({ baseUrl: server.url, interceptors: [bearer(ADMIN_KEY)] });
const rss = () => rssMiB(server.child.pid!);
const nowhere = { agent: "shell", prompt: "echo never", requiredLabels: { pool: "nowhere" } };

beforeAll(async () => {
  const port = await freePort();
  server = await startServerProcess(dataDir, port);
  const runs = createClient(RunService, transport());
  if (FULL) {
    // Every run through the API (half a minute or more on two cores).
    let made = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (made < QUEUED) {
          made++;
          await runs.createRun({ spec: nowhere });
        }
      }),
    );
  } else {
    const { run } = await runs.createRun({ spec: nowhere });
    await server.kill("SIGTERM");
    await cloneQueuedRun(join(dataDir, "flightcontrol.db"), run!.id, QUEUED - 1);
    server = await startServerProcess(dataDir, port);
  }
}, 180_000);
afterAll(async () => {
  await Promise.all(hands.map((h) => h.close()));
  await server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("under load", () => {
  it(`${QUEUED} queued runs and ${WATCHERS} WatchRun streams: GetStats p99 under 100 ms, memory bounded`, async () => {
    const stats = createClient(SystemService, transport());
    const runs = createClient(RunService, transport());
    const baseline = rss();
    expect((await stats.getStats({})).queueDepth).toBe(BigInt(QUEUED));

    // A worker that matches nothing: every kick makes the dispatcher walk the whole queue.
    const idle = handWorker(
      server.url,
      { case: "hello", value: hello("matches-nothing", { labels: { pool: "elsewhere" }, capacity: 8 }) },
      undefined,
      { heartbeat: true },
    );
    hands.push(idle);
    await idle.workerId();

    // 200 watchers on 200 queued runs, each holding its stream open.
    const ids = (await runs.listRuns({ pageSize: WATCHERS })).runs.map((r) => r.id);
    const abort = new AbortController();
    // One signal ends all 200 streams: 200 listeners on it are intended, not a leak.
    setMaxListeners(WATCHERS + 10, abort.signal);
    let opened = 0;
    let failed: unknown;
    const watchers = ids.map(async (runId) => {
      try {
        for await (const m of runs.watchRun({ runId }, { signal: abort.signal })) if (m.run) opened++;
      } catch (err) {
        if (!abort.signal.aborted) failed = err;
      }
    });
    await waitFor(() => opened >= WATCHERS || failed, { what: `${WATCHERS} watchers`, timeoutMs: 30_000 });
    expect(failed).toBeUndefined();

    // New runs keep arriving meanwhile, each one kicking a dispatch pass over the full queue.
    let stop = false;
    let created = 0;
    const trickle = (async () => {
      while (!stop) {
        await runs.createRun({ spec: nowhere });
        created++;
      }
    })();
    // p99 over 150 calls, in up to three windows: one clean window shows the server keeps up; CPU
    // taken by other test files running alongside can spoil a window, a blocked event loop spoils all.
    const windows: string[] = [];
    let passed = false;
    let peak = rss();
    for (let w = 0; w < 3 && !passed; w++) {
      const latencies: number[] = [];
      const started = performance.now();
      while (latencies.length < (FULL ? 1000 : 150) && performance.now() - started < 6_000) {
        const t0 = performance.now();
        await stats.getStats({});
        latencies.push(performance.now() - t0);
        if (latencies.length % 10 === 0) peak = Math.max(peak, rss());
      }
      const p99 = percentile(latencies, 99);
      windows.push(
        `${latencies.length} calls: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
      );
      passed = latencies.length >= 100 && p99 < 100;
    }
    stop = true;
    await trickle;
    const report = `GetStats windows: ${windows.join(" | ")}; ${created} runs created meanwhile; RSS ${baseline.toFixed(0)} -> peak ${peak.toFixed(0)} MiB`;
    console.info(report);
    expect(passed, report).toBe(true);
    expect(peak - baseline, report).toBeLessThan(150);

    // Every watcher is still there, and closing them releases every subscription.
    expect(opened).toBe(WATCHERS);
    abort.abort();
    await Promise.all(watchers);
    await waitFor(
      async () => {
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        return /^flightcontrol_watch_streams 0$/m.test(metrics);
      },
      { what: "watch streams to be released" },
    );
  });
});
