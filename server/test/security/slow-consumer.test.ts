/**
 * A WatchRun client that stops reading while its run produces a lot of output must not make the
 * server buffer that output for it. The server is in this process so its retained heap can be
 * measured after a full garbage collection, which RSS cannot show reliably. Acceptable outcomes for
 * the stalled streams: the server ends them (RST_STREAM ENHANCE_YOUR_CALM or a ResourceExhausted
 * status), or keeps them open holding next to nothing and, once read again, delivers every item with
 * no gap and no duplicate. A watcher that keeps up gets everything either way.
 */
import * as http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LogStream,
  RunOutputSchema,
  RunService,
  RunStatus,
  WatchRunRequestSchema,
  WatchRunResponseSchema,
} from "../../src/gen/flightcontrol/v1/run_pb";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { FULL } from "./support/fuzz";
import { assignOf, handWorker, hello, type HandWorker } from "../../../testkit/worker-session";
import { envelope, unenvelope } from "./support/wire";
import { heapMiB } from "./support/heap";

let server: TestServer;
let producer: HandWorker;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await producer?.close();
  await server?.cleanup();
});

interface Stalled {
  session: http2.ClientHttp2Session;
  req: http2.ClientHttp2Stream;
  chunks: Buffer[];
  closed: boolean;
  rstCode: number;
  status?: string;
}

/** A raw gRPC WatchRun that reads the first message and then stops reading: flow control stalls the server's writes. */
function stalledWatcher(runId: string): Stalled {
  const session = http2.connect(server.url);
  const req = session.request({
    ":method": "POST",
    ":path": "/flightcontrol.v1.RunService/WatchRun",
    "content-type": "application/grpc",
    te: "trailers",
    authorization: `Bearer ${ADMIN_KEY}`,
  });
  const s: Stalled = { session, req, chunks: [], closed: false, rstCode: -1 };
  const first = (d: Buffer) => {
    s.chunks.push(d);
    req.pause();
    req.off("data", first);
  };
  req.on("data", first);
  req.on("trailers", (t) => (s.status = String(t["grpc-status"])));
  req.on("close", () => {
    s.closed = true;
    s.rstCode = req.rstCode ?? -1;
  });
  req.on("error", () => undefined);
  req.end(envelope(toBinary(WatchRunRequestSchema, create(WatchRunRequestSchema, { runId }))));
  return s;
}

/** Reads a stalled watcher to its end and returns the seqs it delivered and how it ended. */
async function resume(s: Stalled): Promise<{ seqs: bigint[]; status?: string; rstCode: number }> {
  if (!s.closed) {
    // Wide flow-control windows from now on, so reading the backlog back is quick.
    s.session.setLocalWindowSize(64 * 1024 * 1024);
    s.session.settings({ initialWindowSize: 16 * 1024 * 1024 });
    await new Promise<void>((resolve) => {
      s.req.on("data", (d: Buffer) => s.chunks.push(d));
      s.req.on("close", () => resolve());
      s.req.resume();
    });
  }
  const seqs: bigint[] = [];
  for (const f of unenvelope(Buffer.concat(s.chunks)).frames) {
    for (const item of fromBinary(WatchRunResponseSchema, f.data).items) seqs.push(item.seq);
  }
  return { seqs, status: s.status, rstCode: s.rstCode };
}

describe("a WatchRun reader that stalls", () => {
  it("costs the server no buffered output: it is cut off, or kept open holding nothing and complete when read", async () => {
    const runs = client(RunService, server.url, ADMIN_KEY);
    producer = handWorker(server.url, { case: "hello", value: hello("producer", { labels: { pool: "producer" }, capacity: 1 }) });
    const { run } = await runs.createRun({ spec: { agent: "shell", prompt: "lots of output", requiredLabels: { pool: "producer" } } });
    const assign = await assignOf(producer, run!.id);
    producer.send({ case: "runStarted", value: { runId: run!.id, attempt: assign.attempt } });

    // One reader that keeps up, over connect-node; it must get every item once, in order.
    let healthyLast = 0n;
    let healthyError: unknown;
    let healthyBroken = "";
    const healthy = (async () => {
      try {
        for await (const m of runs.watchRun({ runId: run!.id })) {
          for (const i of m.items) {
            if (i.seq !== healthyLast + 1n && !healthyBroken) healthyBroken = `after ${healthyLast} came ${i.seq}`;
            healthyLast = i.seq;
          }
        }
      } catch (err) {
        healthyError = err;
      }
    })();

    const SLOW = 5;
    const stalled = Array.from({ length: SLOW }, () => stalledWatcher(run!.id));
    await waitFor(() => stalled.every((s) => s.chunks.length > 0), { what: "stalled watchers to get the run" });
    const before = heapMiB();

    const TOTAL = FULL ? 400_000 : 120_000;
    const BATCH = 5_000;
    const text = "o".repeat(200);
    for (let seq = 1; seq <= TOTAL; seq += BATCH) {
      const items = Array.from({ length: BATCH }, (_, i) =>
        create(RunOutputSchema, {
          seq: BigInt(seq + i),
          time: timestampNow(),
          payload: { case: "log", value: { stream: LogStream.STDOUT, text } },
        }),
      );
      producer.send({ case: "logBatch", value: { runId: run!.id, attempt: assign.attempt, items } });
      await producer.next("logAck", (a) => a.runId === run!.id && a.ackedSeq === BigInt(seq + BATCH - 1), 30_000);
    }
    await waitFor(() => healthyLast === BigInt(TOTAL) || healthyError, { what: "the healthy watcher to catch up", timeoutMs: 30_000 });
    // A moment for the server to act on the stalled streams, then what it still holds for them.
    await waitFor(() => stalled.every((s) => s.closed), { what: "stalled streams to be cut", timeoutMs: 2_000 }).catch(() => undefined);
    const retained = heapMiB() - before;
    const cut = stalled.filter((s) => s.closed).length;
    const report =
      `${TOTAL} lines of ${text.length} chars, ${SLOW} stalled watchers: heap retained after GC ${retained.toFixed(1)} MiB ` +
      `(${((retained * 1024 * 1024) / TOTAL).toFixed(0)} B per line); stalled streams ended by the server: ${cut}/${SLOW}`;
    console.info(report);

    // What the server holds for readers that do not read must not grow with the run's output.
    expect(retained, report).toBeLessThan(24);

    // However the stalled streams were handled, reading one now shows a consistent outcome (one is
    // enough: reading them all back in this process would take longer than the rest of the test).
    // The run ends first, so a stream the server kept open ends once it has delivered everything.
    producer.send({ case: "runFinished", value: { runId: run!.id, attempt: assign.attempt, status: RunStatus.SUCCEEDED, lastSeq: BigInt(TOTAL) } });
    await producer.next("logAck", (a) => a.runId === run!.id && a.finished);
    const o = await resume(stalled[0]);
    const contiguous = o.seqs.every((s, i) => s === BigInt(i + 1));
    expect(contiguous, `${report}; the stalled stream delivered a gap or a duplicate`).toBe(true);
    const endedForSlowness = o.rstCode === http2.constants.NGHTTP2_ENHANCE_YOUR_CALM || o.status === "8";
    expect(
      endedForSlowness || o.seqs.length === TOTAL,
      `${report}; stalled stream ended with status ${o.status}, rst ${o.rstCode}, ${o.seqs.length} items`,
    ).toBe(true);
    stalled.forEach((s) => s.session.destroy());
    await healthy;
    expect(healthyError, report).toBeUndefined();
    expect(healthyBroken, report).toBe("");
    expect(healthyLast).toBe(BigInt(TOTAL));
  });
});
