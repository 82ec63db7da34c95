import { describe, expect, it } from "vitest";
import type { ReactNode } from "react";
import { renderHook, waitFor } from "@testing-library/react";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { AppProviders } from "../src/App";
import { LogStream, RunSchema, RunStatus, RunOutputSchema, RunService } from "../src/gen/flightcontrol/v1/run_pb";
import { useWatchRun } from "../src/hooks/useWatchRun";
import { mockTransport, testQueryClient } from "./support/render";
import { untilAborted } from "./support/streams";
import type { Transport } from "@connectrpc/connect";

const RUN_ID = "6f0c1c1e-2a4b-4c5d-8e9f-0a1b2c3d4e5f";

const item = (seq: number) =>
  create(RunOutputSchema, { seq: BigInt(seq), payload: { case: "log", value: { stream: LogStream.STDOUT, text: `line ${seq}` } } });

function wrapper(transport: Transport) {
  return ({ children }: { children: ReactNode }) => (
    <AppProviders transport={transport} queryClient={testQueryClient()}>
      {children}
    </AppProviders>
  );
}

describe("useWatchRun", () => {
  it("resumes from the last seq after a network error, without gaps or duplicates", async () => {
    const afterSeqs: bigint[] = [];
    const transport = mockTransport((r) =>
      r.service(RunService, {
        async *watchRun(req) {
          afterSeqs.push(req.afterSeq);
          if (afterSeqs.length === 1) {
            yield { run: create(RunSchema, { id: RUN_ID, status: RunStatus.RUNNING, attempt: 1 }), items: [item(1), item(2), item(3)] };
            throw new ConnectError("connection reset", Code.Unavailable);
          }
          // A server may replay from an older point; the client must drop what it already has.
          yield { run: create(RunSchema, { id: RUN_ID, status: RunStatus.RUNNING, attempt: 1 }), items: [item(3), item(4)] };
          yield { items: [item(5)] };
          yield { run: create(RunSchema, { id: RUN_ID, status: RunStatus.SUCCEEDED, attempt: 1 }), items: [] };
        },
      }),
    );
    const { result } = renderHook(() => useWatchRun(RUN_ID), { wrapper: wrapper(transport) });
    await waitFor(() => expect(result.current.status).toBe("ended"), { timeout: 3000 });
    expect(afterSeqs).toEqual([0n, 3n]);
    expect(result.current.run?.status).toBe(RunStatus.SUCCEEDED);
    expect(result.current.store.lines.map((l) => l.text)).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5"]);
    // Renders are batched per animation frame; the last batch still lands.
    await waitFor(() => expect(result.current.version).toBe(result.current.store.version));
  });

  it("aborts the stream when the component unmounts", async () => {
    let aborted = false;
    let opened = 0;
    const transport = mockTransport((r) =>
      r.service(RunService, {
        async *watchRun(_req, ctx) {
          opened++;
          yield { run: create(RunSchema, { id: RUN_ID, status: RunStatus.RUNNING }) };
          await untilAborted(ctx.signal);
          aborted = ctx.signal.aborted;
        },
      }),
    );
    const { result, unmount } = renderHook(() => useWatchRun(RUN_ID), { wrapper: wrapper(transport) });
    await waitFor(() => expect(result.current.status).toBe("live"));
    unmount();
    await waitFor(() => expect(aborted).toBe(true));
    expect(opened).toBe(1);
  });

  it("reports a permanent error instead of retrying it", async () => {
    let opened = 0;
    const transport = mockTransport((r) =>
      r.service(RunService, {
        // biome-ignore lint/correctness/useYield: the stream fails before its first message, as the server's does for an unknown run.
        async *watchRun() {
          opened++;
          throw new ConnectError("run not found", Code.NotFound);
        },
      }),
    );
    const { result } = renderHook(() => useWatchRun(RUN_ID), { wrapper: wrapper(transport) });
    await waitFor(() => expect(result.current.status).toBe("failed"));
    expect(result.current.error?.code).toBe(Code.NotFound);
    expect(opened).toBe(1);
  });
});
