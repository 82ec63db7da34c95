import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { ConnectRequest, ConnectResponse } from "../gen/flightcontrol/v1/worker_pb";
import { inBackground } from "../domain/background";
import type { WorkerSession } from "../domain/dispatch/registry";
import type { WorkerProtocol } from "../domain/dispatch/worker-protocol";
import { isDomainError } from "../domain/errors";
import type { Logger } from "../logger";
import { toConnectError } from "./errors";
import { principalKey, workspaceOf } from "./interceptors/auth";

/**
 * WorkerService.Connect's stream plumbing: reads the Hello, feeds each later message to the worker
 * protocol (domain/dispatch/worker-protocol.ts) strictly in order, and writes the session's sendQueue
 * to the wire until either side ends. Errors become Connect codes here, at the edge.
 */
export function createWorkerStream(protocol: WorkerProtocol, log: Logger) {
  async function pump(session: WorkerSession, it: AsyncIterator<ConnectRequest>) {
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) {
        // A session replaced by a reconnect or declared lost reads on only to end: the worker resends to its current session.
        if (!protocol.isCurrent(session)) break;
        await protocol.handle(session, r.value);
      }
      session.sendQueue.close();
    } catch (err) {
      // A refusal reaches the worker and a dropped connection is routine; anything else is a server
      // fault that would otherwise only show as "internal error" on the worker.
      const dropped = (err as { code?: string }).code === "ERR_STREAM_PREMATURE_CLOSE";
      if (!(err instanceof ConnectError) && !isDomainError(err) && !dropped) log.error({ err, workerId: session.workerId }, "worker session failed");
      session.sendQueue.fail(toConnectError(err));
    }
  }

  return async function* connect(requests: AsyncIterable<ConnectRequest>, ctx: HandlerContext): AsyncGenerator<ConnectResponse> {
    const it = requests[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done || first.value.message.case !== "hello") {
      throw new ConnectError("the first message of a worker session must be Hello", Code.InvalidArgument);
    }
    const principal = ctx.values.get(principalKey);
    if (!principal) throw new ConnectError("a worker session needs a worker API key", Code.Unauthenticated);
    let session: WorkerSession;
    try {
      session = await protocol.open(first.value.message.value, {
        keyId: principal.keyId,
        keyName: principal.name,
        workerLabels: principal.workerLabels,
        workspaceId: workspaceOf(ctx),
      });
    } catch (err) {
      throw toConnectError(err);
    }
    // The stream ended from either side, or its key was revoked (rpc/interceptors/end-streams.ts): the
    // session ends now, so nothing more is assigned to it nor accepted from it, and its runs wait out
    // the lost-worker lease like any disconnected worker's (worker-protocol.ts `closed`).
    const onAbort = () => {
      session.sendQueue.close();
      protocol.closed(session);
    };
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener("abort", onAbort);
    inBackground(log, "read a worker's messages", () => pump(session, it), { workerId: session.workerId });
    try {
      yield* session.sendQueue;
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
      protocol.closed(session);
    }
  };
}
