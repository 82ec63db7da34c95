/**
 * The transport floor: a bare connect-node HTTP/2 server whose WorkerService.Connect answers every
 * request message with one response message (a LogAck), and nothing else — no auth, no validation,
 * no database. Started as its own process by the bench (like the real server) on 127.0.0.1; prints
 * its port on stdout and exits on SIGTERM.
 */
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as http2 from "node:http2";
import { ConnectResponseSchema, WorkerService, type ConnectRequest } from "../server/src/gen/flightcontrol/v1/worker_pb";

const routes = (router: ConnectRouter) => {
  router.service(WorkerService, {
    async *connect(requests: AsyncIterable<ConnectRequest>) {
      for await (const req of requests) {
        const runId = req.message.case === "runStarted" ? req.message.value.runId : "";
        yield create(ConnectResponseSchema, { message: { case: "logAck", value: { runId, ackedSeq: 1n } } });
      }
    },
  });
};

const server = http2.createServer(connectNodeAdapter({ routes }));
server.listen(0, "127.0.0.1", () => {
  console.log(`PORT ${(server.address() as { port: number }).port}`);
});
process.on("SIGTERM", () => {
  server.close();
  process.exit(0);
});
