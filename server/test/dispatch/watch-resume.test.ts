import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

let server: TestServer;
let worker: WorkerProcess;

beforeAll(async () => {
  server = await startTestServer();
  worker = startWorker(server.url, { name: "watch-1" });
});
afterAll(async () => {
  await worker?.kill();
  await server?.cleanup();
});

describe("WatchRun", () => {
  it("resumes after a disconnect from the last seq with no gap and no duplicate", async () => {
    const runs = client(RunService, server.url, ADMIN_KEY);
    const grpcRuns = client(RunService, server.url, ADMIN_KEY, "grpc");
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "for i in $(seq 1 400); do echo line $i; sleep 0.002; done" } });
    const seen: number[] = [];
    let last = 0n;
    let finalStatus = RunStatus.UNSPECIFIED;
    // Disconnect three times mid-stream, alternating protocols, each time resuming from the last seq.
    for (let round = 0; round < 4 && finalStatus !== RunStatus.SUCCEEDED; round++) {
      const abort = new AbortController();
      const c = round % 2 ? grpcRuns : runs;
      let got = 0;
      try {
        for await (const msg of c.watchRun({ runId: run!.id, afterSeq: last }, { signal: abort.signal })) {
          if (msg.run) finalStatus = msg.run.status;
          for (const item of msg.items) {
            seen.push(Number(item.seq));
            last = item.seq;
            got++;
          }
          if (round < 3 && got >= 40) abort.abort();
        }
      } catch (err) {
        if (!abort.signal.aborted) throw err;
      }
    }
    expect(finalStatus).toBe(RunStatus.SUCCEEDED);
    const final = (await runs.getRun({ id: run!.id })).run!;
    expect(seen).toEqual(Array.from({ length: Number(final.lastSeq) }, (_, i) => i + 1));
  });
});
