import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { PROTOCOLS, spec } from "./helpers";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

describe.each(PROTOCOLS)("server streams over connect-node (%s)", (protocol) => {
  const runs = () => client(RunService, server.url, ADMIN_KEY, protocol);

  it("WatchRun sends the run at once, then its changes, and ends when the run ends", async () => {
    const { run } = await runs().createRun({ spec: spec({ prompt: `watched ${protocol}` }) });
    const states: RunStatus[] = [];
    for await (const msg of runs().watchRun({ runId: run!.id })) {
      if (msg.run) states.push(msg.run.status);
      if (states.length === 1) await runs().cancelRun({ id: run!.id, reason: "done watching" });
    }
    expect(states[0]).toBe(RunStatus.QUEUED);
    expect(states.at(-1)).toBe(RunStatus.CANCELLED);
  });

  it("WatchRuns opens with an empty message, then sends run changes as they happen, filtered by job", async () => {
    const jobs = client(JobService, server.url, ADMIN_KEY, protocol);
    const { job } = await jobs.createJob({ name: `watched job ${protocol}`, spec: spec() });
    const ac = new AbortController();
    const all = runs().watchRuns({}, { signal: ac.signal })[Symbol.asyncIterator]();
    const ofJob = runs().watchRuns({ jobId: job!.id }, { signal: ac.signal })[Symbol.asyncIterator]();
    try {
      // The opening message carries no run; once it is here the stream is subscribed.
      expect((await all.next()).value!.run).toBeUndefined();
      expect((await ofJob.next()).value!.run).toBeUndefined();

      const adHoc = (await runs().createRun({ spec: spec() })).run!;
      const triggered = (await jobs.triggerJob({ id: job!.id })).run!;
      await runs().cancelRun({ id: triggered.id });

      const seen: string[] = [];
      while (!seen.includes("triggered CANCELLED")) {
        const { run } = (await all.next()).value!;
        seen.push(`${run!.id === adHoc.id ? "adHoc" : "triggered"} ${RunStatus[run!.status]}`);
      }
      // Changes are coalesced per run, so the triggered run may skip straight to its latest state.
      expect(seen[0]).toBe("adHoc QUEUED");
      expect(seen.at(-1)).toBe("triggered CANCELLED");

      const forJob: string[] = [];
      while (!forJob.includes("CANCELLED")) {
        const { run } = (await ofJob.next()).value!;
        expect(run!.jobId).toBe(job!.id);
        forJob.push(RunStatus[run!.status]);
      }
    } finally {
      ac.abort();
    }
  });

  it("WatchWorkers opens with a message even when the fleet is empty, so a client knows it is live", async () => {
    const workers = client(WorkerService, server.url, ADMIN_KEY, protocol);
    expect((await workers.listWorkers({})).workers).toEqual([]);
    const ac = new AbortController();
    try {
      // A deadline, not a sleep: the first message should come at once.
      const stream = workers.watchWorkers({}, { signal: ac.signal, timeoutMs: 5_000 })[Symbol.asyncIterator]();
      const first = await stream.next();
      expect(first.done).toBe(false);
      expect(first.value!.worker).toBeUndefined();
    } finally {
      ac.abort();
    }
  });
});
