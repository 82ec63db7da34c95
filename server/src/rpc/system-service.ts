import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { type SystemService, WindowStatsSchema } from "../gen/flightcontrol/v1/system_pb";
import type { Registry } from "../domain/dispatch/registry";
import { statusFromColumn } from "../domain/runs/status";
import type { Dialect } from "../storage/data-source";
import type { RunStore } from "../storage/run-store";
import { ts } from "./convert";
import { workspaceOf } from "./interceptors/auth";

const HOUR = 3_600_000;

export interface SystemServiceDeps {
  runs: Pick<RunStore, "countByStatus" | "windowCounts" | "createdSince">;
  registry: Pick<Registry, "sessions">;
  version: string;
  dialect: Dialect;
  startedAt: number;
}

export function systemService(deps: SystemServiceDeps): ServiceImpl<typeof SystemService> {
  const { runs, registry } = deps;
  async function window(ws: string, since: number) {
    const counts = new Map((await runs.windowCounts(ws, since)).map((r) => [r.status, Number(r.n)]));
    const n = (...statuses: Parameters<typeof counts.get>[0][]) => BigInt(statuses.reduce((sum, s) => sum + (counts.get(s) ?? 0), 0));
    return create(WindowStatsSchema, {
      succeeded: n("succeeded"),
      failed: n("failed", "timed_out", "lost"),
      cancelled: n("cancelled"),
      created: BigInt(await runs.createdSince(ws, since)),
    });
  }

  return {
    /** The request's workspace only: its runs, and the workers of its keys. */
    async getStats(_req, ctx) {
      const ws = workspaceOf(ctx);
      const now = Date.now();
      const byStatus = await runs.countByStatus(ws);
      const sessions = [...registry.sessions.values()].filter((s) => s.workspaceId === ws);
      const fiveMin = await runs.windowCounts(ws, now - 5 * 60_000);
      return {
        queueDepth: BigInt(byStatus.find((r) => r.status === "queued")?.n ?? 0),
        runsByStatus: byStatus.map((r) => ({ status: statusFromColumn(r.status), count: BigInt(r.n) })),
        workersOnline: sessions.filter((s) => !s.draining).length,
        workersDraining: sessions.filter((s) => s.draining).length,
        slotsTotal: sessions.reduce((n, s) => n + s.capacity, 0),
        slotsUsed: sessions.reduce((n, s) => n + s.runs.size, 0),
        lastHour: await window(ws, now - HOUR),
        lastDay: await window(ws, now - 24 * HOUR),
        throughputPerMinute: fiveMin.reduce((n, r) => n + Number(r.n), 0) / 5,
      };
    },
    async getInfo() {
      return { version: deps.version, database: deps.dialect, startTime: ts(deps.startedAt) };
    },
  };
}
