import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { WatchWorkersResponseSchema, type WorkerService, type WatchWorkersResponse } from "../gen/flightcontrol/v1/worker_pb";
import type { AppContext } from "../context";
import { drainMessage } from "../domain/dispatch/messages";
import { createWorkerProtocol } from "../domain/dispatch/worker-protocol";
import { watchChanges } from "../domain/watch-changes";
import type { WorkerRow } from "../storage/entities";
import { workerToProto } from "./convert";
import { workspaceOf } from "./interceptors/auth";
import { createWorkerStream } from "./worker-stream";

export function workerService(app: AppContext): ServiceImpl<typeof WorkerService> {
  // A connected worker's last heartbeat lives in memory (no write per heartbeat); the row has it after disconnect.
  const toProto = (row: WorkerRow) => {
    const session = app.registry.get(row.id);
    return workerToProto(session ? { ...row, lastHeartbeatAt: session.lastSeen } : row, [...(session?.runs.keys() ?? [])]);
  };
  const protocol = createWorkerProtocol({
    runs: app.runs,
    logs: app.logs,
    workers: app.workers,
    registry: app.registry,
    dispatcher: app.dispatcher,
    leases: app.leases,
    lifecycle: app.lifecycle,
    events: app.events,
    log: app.log,
    background: app.outage.run,
    heartbeatIntervalMs: app.config.heartbeatIntervalMs,
    workerLostAfterMs: app.config.workerLostAfterMs,
    flushIntervalMs: app.config.logFlushIntervalMs,
    flushBytes: app.config.logFlushBytes,
    artifacts: app.artifactUploads,
    observeLogs: (lines, bytes) => {
      app.metrics.logLines.inc(lines);
      app.metrics.logBytes.inc(bytes);
    },
  });
  const connect = createWorkerStream(protocol, app.log);

  return {
    async listWorkers(req, ctx) {
      const rows = await app.workers.list(workspaceOf(ctx));
      return { workers: rows.filter((r) => req.includeOffline || r.state !== "offline").map(toProto) };
    },

    async getWorker(req, ctx) {
      return { worker: toProto(await app.workers.get(workspaceOf(ctx), req.id)) };
    },

    async drainWorker(req, ctx) {
      const row = await app.workers.get(workspaceOf(ctx), req.id);
      const session = app.registry.get(row.id);
      if (session && !session.draining) {
        app.registry.setDraining(session);
        session.sendQueue.push(drainMessage());
      }
      if (row.state !== "offline") {
        await app.workers.setState(row.id, "draining", Date.now());
        row.state = "draining";
      }
      app.events.emit("workerChanged", row.id);
      return { worker: toProto(row) };
    },

    async *watchWorkers(_req, ctx: HandlerContext): AsyncGenerator<WatchWorkersResponse> {
      const ws = workspaceOf(ctx);
      const changed = watchChanges(app.events, ctx.signal, {
        workerChanged: (id) => id,
        // Slot usage changes with every run transition; resend the holder so "busy slots" stay live.
        runChanged: (runId) => app.registry.holderOf(runId)?.workerId,
      });
      // A snapshot first: the client gets the fleet and knows the stream is open, then changes follow.
      const online = (await app.workers.list(ws)).filter((row) => row.state !== "offline");
      for (const row of online) yield create(WatchWorkersResponseSchema, { worker: toProto(row) });
      if (!online.length) yield create(WatchWorkersResponseSchema, {});
      for await (const ids of changed) {
        for (const id of ids) {
          const row = await app.workers.find(ws, id);
          if (row) yield create(WatchWorkersResponseSchema, { worker: toProto(row) });
        }
      }
    },

    connect: (requests, ctx) => connect(requests, ctx),
  };
}
