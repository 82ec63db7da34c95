import { describe, expect, it } from "vitest";
import type { ReactNode } from "react";
import { renderHook, waitFor } from "@testing-library/react";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Transport } from "@connectrpc/connect";
import { AppProviders } from "../src/App";
import { RunSchema, RunService, RunStatus, type Run } from "../src/gen/flightcontrol/v1/run_pb";
import { WorkerService, WorkerState, WorkerSchema } from "../src/gen/flightcontrol/v1/worker_pb";
import { useLiveRuns } from "../src/hooks/useLiveRuns";
import { useWatchWorkers } from "../src/hooks/useWatchWorkers";
import { mockTransport, testQueryClient } from "./support/render";
import { untilAborted } from "./support/streams";

const T0 = 1_700_000_000_000;
const run = (id: string, status: RunStatus, ageSec: number, attempt = 1): Run =>
  create(RunSchema, { id, status, attempt, createTime: timestampFromMs(T0 - ageSec * 1000) });

function wrapper(transport: Transport) {
  return ({ children }: { children: ReactNode }) => (
    <AppProviders transport={transport} queryClient={testQueryClient()}>
      {children}
    </AppProviders>
  );
}

/** A stream the test pushes messages into. */
function channel<T>() {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  return {
    push(v: T) {
      queue.push(v);
      wake?.();
    },
    async *drain(signal: AbortSignal): AsyncGenerator<T> {
      while (!signal.aborted) {
        while (queue.length) yield queue.shift()!;
        await new Promise<void>((r) => {
          wake = r;
          signal.addEventListener("abort", () => r(), { once: true });
        });
      }
    },
  };
}

describe("useLiveRuns", () => {
  it("applies WatchRuns changes to the listed page and adds new runs on top", async () => {
    const events = channel<{ run: Run }>();
    const transport = mockTransport((r) =>
      r.service(RunService, {
        listRuns: () => ({ runs: [run("b", RunStatus.RUNNING, 10), run("a", RunStatus.RUNNING, 20)] }),
        async *watchRuns(_req, ctx) {
          yield* events.drain(ctx.signal);
        },
      }),
    );
    const { result } = renderHook(() => useLiveRuns({}), { wrapper: wrapper(transport) });
    await waitFor(() => expect(result.current.runs.map((r) => r.id)).toEqual(["b", "a"]));

    events.push({ run: run("a", RunStatus.SUCCEEDED, 20) });
    events.push({ run: run("c", RunStatus.QUEUED, 0) });
    // An older snapshot arriving late must not undo progress.
    events.push({ run: run("a", RunStatus.RUNNING, 20) });
    await waitFor(() => expect(result.current.runs.map((r) => r.id)).toEqual(["c", "b", "a"]));
    expect(result.current.runs.find((r) => r.id === "a")?.status).toBe(RunStatus.SUCCEEDED);
  });

  it("drops runs that leave the status filter", async () => {
    const events = channel<{ run: Run }>();
    const transport = mockTransport((r) =>
      r.service(RunService, {
        listRuns: (req) => ({ runs: req.statuses.includes(RunStatus.RUNNING) ? [run("x", RunStatus.RUNNING, 5)] : [] }),
        async *watchRuns(_req, ctx) {
          yield* events.drain(ctx.signal);
        },
      }),
    );
    const { result } = renderHook(() => useLiveRuns({ statuses: [RunStatus.RUNNING] }), { wrapper: wrapper(transport) });
    await waitFor(() => expect(result.current.runs.map((r) => r.id)).toEqual(["x"]));
    events.push({ run: run("x", RunStatus.FAILED, 5) });
    events.push({ run: run("y", RunStatus.RUNNING, 1) });
    await waitFor(() => expect(result.current.runs.map((r) => r.id)).toEqual(["y"]));
  });

  it("keeps the view one page long under a burst of new runs", async () => {
    const events = channel<{ run: Run }>();
    const transport = mockTransport((r) =>
      r.service(RunService, {
        listRuns: () => ({ runs: [run("old", RunStatus.SUCCEEDED, 100)] }),
        async *watchRuns(_req, ctx) {
          yield* events.drain(ctx.signal);
        },
      }),
    );
    const { result } = renderHook(() => useLiveRuns({}, 10), { wrapper: wrapper(transport) });
    await waitFor(() => expect(result.current.runs).toHaveLength(1));
    for (let i = 0; i < 500; i++) events.push({ run: run(`n${i}`, RunStatus.QUEUED, -i) });
    await waitFor(() => expect(result.current.runs[0]?.id).toBe("n499"));
    expect(result.current.runs).toHaveLength(10);
  });
});

describe("useWatchWorkers", () => {
  it("starts from a ListWorkers snapshot and applies streamed changes", async () => {
    const events = channel<{ worker: ReturnType<typeof worker> }>();
    const worker = (id: string, state: WorkerState, active: string[] = []) =>
      create(WorkerSchema, { id, name: id, state, capacity: 2, activeRunIds: active });
    const transport = mockTransport((r) =>
      r.service(WorkerService, {
        listWorkers: () => ({ workers: [worker("w1", WorkerState.ONLINE)] }),
        async *watchWorkers(_req, ctx) {
          yield* events.drain(ctx.signal);
          await untilAborted(ctx.signal);
        },
      }),
    );
    const { result } = renderHook(() => useWatchWorkers(), { wrapper: wrapper(transport) });
    await waitFor(() => expect(result.current.workers.map((w) => w.id)).toEqual(["w1"]));
    expect(result.current.loaded).toBe(true);
    events.push({ worker: worker("w1", WorkerState.DRAINING, ["r1"]) });
    events.push({ worker: worker("w2", WorkerState.ONLINE) });
    await waitFor(() =>
      expect(result.current.workers.map((w) => [w.id, w.state])).toEqual([
        ["w1", WorkerState.DRAINING],
        ["w2", WorkerState.ONLINE],
      ]),
    );
    expect(result.current.workers[0]?.activeRunIds).toEqual(["r1"]);
  });
});
