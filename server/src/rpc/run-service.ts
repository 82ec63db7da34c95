import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { RunSchema, type RunService, RunView, TriggerKind, WatchRunsResponseSchema, type WatchRunsResponse } from "../gen/flightcontrol/v1/run_pb";
import type { Dispatcher } from "../domain/dispatch/dispatcher";
import type { Registry } from "../domain/dispatch/registry";
import { failedPrecondition, notFound } from "../domain/errors";
import type { EventBus } from "../domain/events";
import { cancelRun } from "../domain/runs/cancel";
import type { McpSecrets } from "../domain/mcp/secrets";
import type { Lifecycle } from "../domain/runs/lifecycle";
import { isTerminal, statusToColumn } from "../domain/runs/status";
import type { LogStore } from "../storage/log-store";
import type { RunListRow, RunStore } from "../storage/run-store";
import { assertSpecWithinLimit } from "../domain/specs/size-limit";
import { assertSpecTemplate } from "../domain/specs/template";
import { applyParameters } from "../domain/parameters/apply-parameters";
import { watchChanges } from "../domain/watch-changes";
import { waitingReason } from "../domain/dispatch/waiting-reason";
import { decodeCursor, encodeCursor, runToProto as runRowToProto } from "./convert";
import { fillPage } from "./fill-page";
import { workspaceOf } from "./interceptors/auth";
import type { Workspaces } from "../domain/workspaces/workspaces";
import { watchRun, type WatchRunDeps } from "./watch-run";
import { artifactHandlers, type ArtifactHandlersDeps } from "./artifact-handlers";

export interface RunServiceDeps extends WatchRunDeps, ArtifactHandlersDeps {
  runs: RunStore;
  logs: LogStore;
  lifecycle: Pick<Lifecycle, "createRun" | "retryRun" | "continueRun">;
  mcpSecrets: McpSecrets;
  dispatcher: Pick<Dispatcher, "kick">;
  /** A cancelled held run's worker is told through its session. */
  registry: Registry;
  events: EventBus;
  /** A queued run held back by its workspace's max_concurrent_runs says so (GetRun, ListRuns). */
  workspaces?: Pick<Workspaces, "concurrencyLimit">;
}

export function runService(app: RunServiceDeps): ServiceImpl<typeof RunService> {
  // A queued run says why it waits, if a worker could not take it even with a free slot.
  const runToProto = (row: RunListRow, limitReason = "") =>
    runRowToProto(
      row,
      row.status === "queued"
        ? waitingReason(app.registry, row.workspaceId, row.agent, JSON.parse(row.requiredLabels || "{}"), networkOf(row)) || limitReason
        : "",
    );

  /** JobSpec.network of a row read with its spec (protobuf JSON: "network" when not empty); "" without one. */
  const networkOf = (row: RunListRow): string => (row.spec ? ((JSON.parse(row.spec) as { network?: string }).network ?? "") : "");

  /** Why the workspace's queued runs wait if it is at its max_concurrent_runs, else "": one lookup per request. */
  const limitReasonOf = async (ws: string): Promise<string> => {
    const limit = (await app.workspaces?.concurrencyLimit(ws)) ?? 0;
    if (!limit || (await app.runs.countActive(ws)) < limit) return "";
    return `this workspace already has ${limit} runs assigned or running, its limit (max_concurrent_runs); the run starts when one ends`;
  };

  const get = async (ws: string, id: string) => {
    const row = await app.runs.getIn(ws, id);
    if (!row) throw notFound("run", id);
    return row;
  };

  return {
    ...artifactHandlers(app),

    async createRun(req, ctx) {
      const name = req.name || req.spec!.prompt.replace(/\s+/g, " ").slice(0, 60);
      assertSpecWithinLimit(req.spec!);
      assertSpecTemplate(req.spec!);
      // The caller's values, checked as TriggerJob checks them; parameters left out take their defaults.
      const applied = applyParameters(req.spec!, req.parameters);
      const row = await app.lifecycle.createRun({
        workspaceId: workspaceOf(ctx),
        spec: app.mcpSecrets.seal(applied.spec),
        jobName: name,
        trigger: TriggerKind.AD_HOC,
        labels: req.labels,
        parameters: applied.values,
      });
      app.dispatcher.kick();
      return { run: runToProto(row) };
    },

    async getRun(req, ctx) {
      const ws = workspaceOf(ctx);
      const row = await get(ws, req.id);
      return { run: runToProto(row, row.status === "queued" ? await limitReasonOf(ws) : "") };
    },

    async listRuns(req, ctx) {
      const withSpec = req.view === RunView.FULL;
      const limitReason = await limitReasonOf(workspaceOf(ctx));
      const filter = {
        workspaceId: workspaceOf(ctx),
        jobId: req.jobId || undefined,
        workerId: req.workerId || undefined,
        scheduleId: req.scheduleId || undefined,
        parentRunId: req.parentRunId || undefined,
        statuses: req.statuses.map(statusToColumn),
        labels: req.labels,
        withSpec,
      };
      const page = await fillPage(
        {
          read: (beforeId: string | undefined, limit: number) => app.runs.list({ ...filter, beforeId, limit }),
          cursorOf: (r: RunListRow) => r.id,
          toProto: (r: RunListRow) => runToProto(r, limitReason),
          schema: RunSchema,
          // A full run may hold a 256 KiB spec: a few at a time, as the 1 MiB page takes only a few.
          chunk: withSpec ? 8 : 100,
        },
        decodeCursor(req.pageToken),
        req.pageSize || 50,
      );
      return { runs: page.items, nextPageToken: page.next ? encodeCursor(page.next) : "" };
    },

    async cancelRun(req, ctx) {
      const ws = workspaceOf(ctx);
      const row = await get(ws, req.id);
      const reason = req.reason || "cancelled by request";
      if (isTerminal(row.status)) {
        throw failedPrecondition(`run ${row.id} already ended as ${row.status}`);
      }
      await cancelRun(app, row, reason);
      return { run: runToProto(await get(ws, row.id)) };
    },

    async retryRun(req, ctx) {
      const row = await app.lifecycle.retryRun(workspaceOf(ctx), req.id);
      app.dispatcher.kick();
      return { run: runToProto(row) };
    },

    async continueRun(req, ctx) {
      const row = await app.lifecycle.continueRun(workspaceOf(ctx), req.id, req.prompt);
      app.dispatcher.kick();
      return { run: runToProto(row) };
    },

    async listRunLogs(req, ctx) {
      // Logs and events have no workspace of their own: they are reached through their run's.
      await get(workspaceOf(ctx), req.runId);
      const limit = req.pageSize || 1000;
      const items = await app.logs.list(req.runId, Number(req.afterSeq), limit);
      const next = items.length ? items[items.length - 1].seq : req.afterSeq;
      return { items, nextAfterSeq: next, end: items.length < limit };
    },

    watchRun: (req, ctx) => watchRun(app, req, ctx),

    async *watchRuns(req, ctx: HandlerContext): AsyncGenerator<WatchRunsResponse> {
      const ws = workspaceOf(ctx);
      const changed = watchChanges(app.events, ctx.signal, { runChanged: (id) => id });
      // An empty first message sends the response headers, so a client knows the stream is open.
      yield create(WatchRunsResponseSchema, {});
      for await (const ids of changed) {
        for (const id of ids) {
          const row = req.view === RunView.FULL ? await app.runs.getShared(id) : await app.runs.getSharedWithoutSpec(id);
          if (row && row.workspaceId === ws && (!req.jobId || row.jobId === req.jobId))
            yield create(WatchRunsResponseSchema, { run: runToProto(row) });
        }
      }
    },
  };
}
