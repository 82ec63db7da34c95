import type * as http from "node:http";
import type * as http2 from "node:http2";
import { createContextKey } from "@connectrpc/connect";

/** The Node request behind an RPC, so a handler can reset a stream whose reader has stalled. */
export const nodeRequestKey = createContextKey<http.IncomingMessage | http2.Http2ServerRequest | undefined>(undefined, {
  description: "the node request",
});
