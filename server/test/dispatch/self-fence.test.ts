/**
 * Self-fence (worker/src/fence.ts): a worker cut off from the server stops its agents before the
 * server's lost-worker lease expires and the run is requeued elsewhere, so the two attempts never
 * overlap. Real server, real worker processes, the worker's connection broken at a TCP proxy the
 * test owns, agents recording their executions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { processesWithEnv, startExecutionMonitor, type Execution } from "../faults/executions";
import { startProxy } from "../faults/proxy";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { contiguous, seqs } from "../../../testkit/records";
import { ADMIN_KEY } from "../../../testkit/keys";
import { freePort } from "../../../testkit/free-port";
import { startServerProcess } from "../../../testkit/server-process";
import { startWorker } from "../../../testkit/worker-process";

const LEASE_MS = 2000;

/** The time of the first JSON log line of a worker with this msg. */
function logTime(output: string, msg: string): number | undefined {
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line) as { time: string; msg: string };
      if (entry.msg === msg) return Date.parse(entry.time);
    } catch {
      // Not one of ours.
    }
  }
  return undefined;
}

// The two cases wait together (each has its own server, proxy, workers and records): 18 -> 12 s.
// Each server is its own process, not in this one: with a 2 s lease, a worker fences itself when
// its server's event loop stalls for a second, as another in-process server's start-up here would.
describe("a worker cut off from the server", () => {
  it.concurrent.for<[string, "reset" | "half-open"]>([
    ["its connection reset and new ones refused", "reset"],
    // What the first attempt sent into the frozen connection reaches the server after the thaw, on the
    // session it declared lost: none of it may be stored.
    ["its connection silently dead (half-open TCP)", "half-open"],
  ])(
    "with %s stops its agent before the run starts elsewhere; the run succeeds there",
    { timeout: 60_000 },
    async ([, mode], { expect, onTestFinished }) => {
      /** Each returns a promise to await, or nothing when its work is synchronous. */
      const cleanups: Array<() => unknown> = [];
      onTestFinished(async () => {
        while (cleanups.length) await cleanups.pop()!();
      });
      const dataDir = mkdtempSync(join(tmpdir(), "fc-fence-server-"));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const server = await startServerProcess(dataDir, await freePort(), { ORCH_WORKER_LOST_AFTER_MS: String(LEASE_MS) });
      cleanups.push(() => server.kill());
      const recordDir = mkdtempSync(join(tmpdir(), "fc-fence-"));
      cleanups.push(() => rmSync(recordDir, { recursive: true, force: true }));
      const scenarioEnv = `FAKE_AGENT_RECORD_DIR=${recordDir}`;
      const monitor = startExecutionMonitor(recordDir);
      cleanups.push(() => monitor.stop());
      const proxy = await startProxy(Number(new URL(server.url).port));
      cleanups.push(() => proxy.close());
      const env = (tag: string) => ({ FAKE_AGENT_RECORD_DIR: recordDir, FAKE_AGENT_RUN_TAG: tag });

      // Both workers are up before the run exists, so the cut never waits on a worker's start (on a
      // loaded machine that took long enough for the run to end first). The cut-off worker has more
      // free slots, so the dispatcher (most free slots first) gives it the run; the retry can only go
      // to the rescuer.
      const a = startWorker(proxy.url, { name: "cut-off", capacity: 2, agents: "goose", env: env("cut-off") });
      cleanups.push(() => a.kill());
      const b = startWorker(server.url, { name: "rescuer", capacity: 1, agents: "goose", env: env("rescuer") });
      cleanups.push(() => b.kill());
      await waitFor(async () => (await client(WorkerService, server.url, ADMIN_KEY).listWorkers({})).workers.length === 2, {
        what: "both workers",
      });
      const runs = client(RunService, server.url, ADMIN_KEY);
      // Ignores SIGTERM: only the fence's SIGKILL ends it in time. 4 s of output in all.
      const { run } = await runs.createRun({ spec: { agent: "goose", prompt: "ignore_sigterm lines=40 sleep_ms=100 mark=fenced", maxAttempts: 2 } });
      await waitFor(
        async () => {
          const r = (await runs.getRun({ id: run!.id })).run!;
          return r.workerName === "cut-off" && r.lastSeq >= 5n;
        },
        { what: "the run to be running on the first worker" },
      );

      const cutAt = Date.now();
      if (mode === "reset") proxy.cut(8000);
      else proxy.freeze();

      const done = await waitFor(
        async () => {
          const r = (await runs.getRun({ id: run!.id })).run!;
          return r.finishTime ? r : undefined;
        },
        { timeoutMs: 20_000, what: "the run to finish" },
      );
      expect(done.status, `${done.error}\n--- cut-off ---\n${a.output()}\n--- rescuer ---\n${b.output()}`).toBe(RunStatus.SUCCEEDED);
      expect(done.workerName).toBe("rescuer");
      expect(done.attempt).toBe(2);

      const execs = monitor.executions();
      const first = execs.find((e) => e.tag === "cut-off");
      const second = execs.find((e) => e.tag === "rescuer");
      expect(execs.length, JSON.stringify(execs)).toBe(2);
      const firstEnd = (e: Execution) => e.end ?? e.goneAt;
      // goneAt is when a 20 ms poll first saw the process gone: an upper bound of its death.
      expect(firstEnd(first!), "the first attempt's agent was still running").toBeDefined();
      expect(firstEnd(first!)!, "the attempts overlapped").toBeLessThan(second!.start);
      const fencedAt = logTime(a.output(), "lost contact with the server; stopping agents before their runs are given to another worker");
      expect(fencedAt, a.output()).toBeDefined();
      process.stdout.write(
        `self-fence (${mode}): cut -> fence ${fencedAt! - cutAt} ms, cut -> agent gone ${firstEnd(first!)! - cutAt} ms, ` +
          `agent gone -> second attempt's agent started ${second!.start - firstEnd(first!)!} ms (lease ${LEASE_MS} ms)\n`,
      );

      // Back in touch after the requeue: the server takes the run away and the worker forgets it.
      if (mode === "half-open") proxy.thaw();
      await waitFor(() => logTime(a.output(), "run taken away"), { timeoutMs: 20_000, what: "the cut-off worker to be told the run moved" });

      // Whatever the first attempt sent into the dead connection was not stored over the second's log.
      const items = (await runs.listRunLogs({ runId: run!.id, pageSize: 1000 })).items;
      expect(contiguous(seqs(items)), `seqs ${seqs(items).join(",")}`).toBe(true);
      expect(BigInt(items.length)).toBe((await runs.getRun({ id: run!.id })).run!.lastSeq);

      // Nothing of this test but the two workers is left running.
      const workers = new Set([a.child.pid, b.child.pid]);
      await waitFor(() => processesWithEnv(scenarioEnv).every((p) => workers.has(p.pid)), { timeoutMs: 10_000, what: "no agent process left" });
    },
  );
});
