import { create } from "@bufbuild/protobuf";
import * as http2 from "node:http2";
import type { HandlerContext } from "@connectrpc/connect";
import { RunView, WatchRunResponseSchema, type RunOutput, type WatchRunRequest, type WatchRunResponse } from "../gen/flightcontrol/v1/run_pb";
import { notFound, resourceExhausted } from "../domain/errors";
import type { LogHub } from "../domain/logs/hub";
import { isTerminal } from "../domain/runs/status";
import type { LogStore } from "../storage/log-store";
import type { RunStore } from "../storage/run-store";
import { runToProto } from "./convert";
import { nodeRequestKey } from "./node-request";
import { workspaceOf } from "./interceptors/auth";

export interface WatchRunDeps {
  runs: Pick<RunStore, "get" | "getWithoutSpec" | "getShared" | "getSharedWithoutSpec">;
  logs: Pick<LogStore, "list">;
  hub: LogHub;
}

const PAGE = 2000;
/** Live items buffered for one watcher before it counts as too slow and is cut off. */
const MAX_BUFFERED = 100_000;
/** …or this much log text, whichever comes first. */
const MAX_BUFFERED_BYTES = 2 * 1024 * 1024;

/**
 * The run, then everything stored after after_seq, then live output until the run ends. The
 * subscription starts before the replay, and every item is filtered by seq, so a reconnecting
 * client sees no gap and no duplicate. A hole between the replay and live items is filled from the
 * database before the live items are sent.
 */
export async function* watchRun(app: WatchRunDeps, req: WatchRunRequest, ctx: HandlerContext): AsyncGenerator<WatchRunResponse> {
  const runId = req.runId;
  // The spec never changes, and GetRun has it: by default the stream leaves it out.
  const full = req.view === RunView.FULL;
  // The first read is the stream's own: one shared with a stream that subscribed earlier in this
  // tick could predate a change this one was not yet subscribed to hear about.
  // A run of another workspace is not there (NotFound, like a missing one); later reads need no
  // check, since a run never changes workspace.
  const ws = workspaceOf(ctx);
  const first = async () => {
    const row = await (full ? app.runs.get(runId) : app.runs.getWithoutSpec(runId));
    return row?.workspaceId === ws ? row : null;
  };
  const read = () => (full ? app.runs.getShared(runId) : app.runs.getSharedWithoutSpec(runId));
  let live: RunOutput[] = [];
  let liveBytes = 0;
  const size = (items: RunOutput[]) => items.reduce((n, i) => n + (i.payload.case === "log" ? i.payload.value.text.length : 256), 0);
  let statusChanged = false;
  let overflow = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const unsubscribe = app.hub.subscribe(runId, {
    push(items) {
      if (overflow) return;
      const bytes = size(items);
      if (live.length + items.length > MAX_BUFFERED || liveBytes + bytes > MAX_BUFFERED_BYTES) {
        // Too slow: let go of what is held for this reader and end its stream now, not when (if
        // ever) it reads again. RST_STREAM ENHANCE_YOUR_CALM reaches clients as ResourceExhausted.
        overflow = true;
        live = [];
        liveBytes = 0;
        const raw = ctx.values.get(nodeRequestKey);
        if (raw && "stream" in raw) raw.stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
        else raw?.socket.destroy();
      } else {
        live.push(...items);
        liveBytes += bytes;
      }
      notify();
    },
    changed() {
      statusChanged = true;
      notify();
    },
  });
  const onAbort = () => notify();
  ctx.signal.addEventListener("abort", onAbort);

  try {
    let row = await first();
    if (!row) throw notFound("run", runId);
    yield create(WatchRunResponseSchema, { run: runToProto(row) });
    let lastSent = req.afterSeq;

    async function* fromDb(upTo?: bigint) {
      for (;;) {
        const page = await app.logs.list(runId, Number(lastSent), PAGE);
        const items = upTo === undefined ? page : page.filter((i) => i.seq < upTo);
        if (items.length) {
          lastSent = items[items.length - 1].seq;
          yield create(WatchRunResponseSchema, { items });
        }
        if (page.length < PAGE || items.length < page.length) return;
      }
    }

    yield* fromDb();
    for (;;) {
      if (ctx.signal.aborted) return;
      if (overflow) {
        throw resourceExhausted(`watcher fell more than ${MAX_BUFFERED} items behind; reconnect with after_seq=${lastSent}`);
      }
      if (live.length) {
        const batch = live.filter((i) => i.seq > lastSent);
        live = [];
        liveBytes = 0;
        if (batch.length) {
          if (batch[0].seq > lastSent + 1n) yield* fromDb(batch[0].seq);
          const fresh = batch.filter((i) => i.seq > lastSent);
          if (fresh.length) {
            lastSent = fresh[fresh.length - 1].seq;
            yield create(WatchRunResponseSchema, { items: fresh });
          }
        }
      }
      if (statusChanged) {
        statusChanged = false;
        row = await read();
        if (!row) return;
        yield create(WatchRunResponseSchema, { run: runToProto(row) });
      }
      if (isTerminal(row.status)) {
        // Output is stored before the finish is recorded, so what remains is already in the database.
        yield* fromDb();
        return;
      }
      if (!live.length && !statusChanged) await new Promise<void>((r) => (wake = r));
    }
  } finally {
    unsubscribe();
    ctx.signal.removeEventListener("abort", onAbort);
  }
}
