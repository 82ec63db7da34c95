import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { ConnectionLimits } from "../../config";
import type { Principal } from "../../domain/auth/api-keys";
import { clientAddress } from "../../http/client-address";
import { nodeRequestKey } from "../node-request";

/**
 * What an open stream costs, measured on a server process (VmRSS before and after opening 2,000
 * streams over gRPC on HTTP/2, 10 connections, Node 20, SQLite): about 44 KiB per
 * grpc.health.v1.Health/Watch stream and about 57 KiB per viewer WatchRun stream on a quiet run
 * (the outside test saw ~50 KiB and ~27 KiB). At the defaults (ConnectionLimits in config.ts) one
 * key or one address can hold at most 4096 × 57 KiB ≈ 230 MiB, and all keyless callers together
 * 256 × 44 KiB ≈ 11 MiB.
 */
export type StreamLimits = Pick<
  ConnectionLimits,
  "maxStreamsPerKey" | "maxStreamsPerAddress" | "maxAnonymousStreamsPerAddress" | "maxAnonymousStreams"
>;

export interface StreamLimiter {
  /**
   * Counts a streaming RPC against its key and its client address until it ends; throws
   * ResourceExhausted, naming the limit and its setting, when one is reached. Unary calls pass.
   */
  admit(ctx: HandlerContext, principal: Principal | undefined): void;
  /** Open streams by counter ("key:<id>", "address:<ip>", "anonymous:<ip>", "anonymous"), for tests and metrics. */
  open(counter: string): number;
}

export function createStreamLimiter(limits: StreamLimits): StreamLimiter {
  const open = new Map<string, number>();
  const refuse = (what: string, limit: number, setting: string, advice: string) =>
    new ConnectError(
      `too many open streams ${what} (limit ${limit}, set by ${setting} on the server): ${advice}, or raise ${setting}`,
      Code.ResourceExhausted,
    );

  return {
    admit(ctx, principal) {
      if (ctx.method.methodKind === "unary" || ctx.signal.aborted) return;
      const address = clientAddress(ctx.values.get(nodeRequestKey)?.socket);
      const counters: Array<[string, number, () => ConnectError]> = [
        [
          `address:${address}`,
          limits.maxStreamsPerAddress,
          () => refuse(`from ${address}`, limits.maxStreamsPerAddress, "ORCH_MAX_STREAMS_PER_ADDRESS", "close streams you no longer read"),
        ],
      ];
      if (principal) {
        counters.push([
          `key:${principal.keyId}`,
          limits.maxStreamsPerKey,
          () => refuse(`for API key "${principal.name}"`, limits.maxStreamsPerKey, "ORCH_MAX_STREAMS_PER_KEY", "close streams you no longer read"),
        ]);
      } else {
        counters.push(
          [
            `anonymous:${address}`,
            limits.maxAnonymousStreamsPerAddress,
            () =>
              refuse(
                `without an API key from ${address}`,
                limits.maxAnonymousStreamsPerAddress,
                "ORCH_MAX_ANONYMOUS_STREAMS_PER_ADDRESS",
                "close some, send an API key",
              ),
          ],
          [
            "anonymous",
            limits.maxAnonymousStreams,
            () => refuse("without an API key on this server", limits.maxAnonymousStreams, "ORCH_MAX_ANONYMOUS_STREAMS", "send an API key"),
          ],
        );
      }
      const full = counters.find(([name, limit]) => (open.get(name) ?? 0) >= limit);
      if (full) throw full[2]();
      for (const [name] of counters) open.set(name, (open.get(name) ?? 0) + 1);
      // The handler context's signal aborts when the stream ends, however it ends (done, cancelled,
      // failed, client gone, server shutting down).
      ctx.signal.addEventListener(
        "abort",
        () => {
          for (const [name] of counters) {
            const left = (open.get(name) ?? 1) - 1;
            if (left > 0) open.set(name, left);
            else open.delete(name);
          }
        },
        { once: true },
      );
    },
    open: (counter) => open.get(counter) ?? 0,
  };
}
