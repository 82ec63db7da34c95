import { randomUUID } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../../logger";
import type { Metrics } from "../../observability/metrics";
import { toConnectError } from "../errors";

/**
 * Outermost interceptor: gives every RPC a request id (the caller's x-request-id or a new one, echoed
 * back), counts it by method and code, times it, and turns unexpected errors into Internal with a
 * generic message while the detail goes to the log under the request id.
 */
export function observeInterceptor(log: Logger, metrics: Metrics): Interceptor {
  return (next) => async (req) => {
    const method = `${req.service.typeName}/${req.method.name}`;
    const requestId = req.header.get("x-request-id")?.slice(0, 64) || randomUUID();
    const end = metrics.rpcDuration.startTimer({ method });
    let code = "ok";
    try {
      const res = await next(req);
      res.header.set("x-request-id", requestId);
      return res;
    } catch (thrown) {
      const err = toConnectError(thrown);
      if (err instanceof ConnectError) {
        code = Code[err.code];
        err.metadata.set("x-request-id", requestId);
        throw err;
      }
      code = Code[Code.Internal];
      log.error({ err, method, requestId }, "request failed");
      throw new ConnectError(`internal error (request id ${requestId}); see the server log`, Code.Internal, { "x-request-id": requestId });
    } finally {
      end();
      metrics.rpcs.inc({ method, code });
      log.debug({ method, code, requestId }, "rpc");
    }
  };
}
