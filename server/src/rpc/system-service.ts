import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { SystemService, WindowStatsSchema } from "../gen/flightcontrol/v1/system_pb";
import type { AppContext } from "../context";
import { statusFromColumn } from "../domain/runs/status";
import { ts } from "./convert";

const HOUR = 3_600_000;

export function systemService(app: AppContext): ServiceImpl<typeof SystemService> {
  async function window(since: number) {
    const counts = Object.fromEntries((await app.runs.windowCounts(since)).map((r) => [r.status, Number(r.n)]));
    return create(WindowStatsSchema, {
      succeeded: BigInt(counts.succeeded ?? 0),
      failed: BigInt((counts.failed ?? 0) + (counts.timed_out ?? 0) + (counts.lost ?? 0)),
      cancelled: BigInt(counts.cancelled ?? 0),
      created: BigInt(await app.runs.createdSince(since)),
    });
  }

  return {
    async getStats() {
      const now = Date.now();
      const byStatus = await app.runs.countByStatus();
      const sessions = [...app.registry.sessions.values()];
      const fiveMin = await app.runs.windowCounts(now - 5 * 60_000);
      return {
        queueDepth: BigInt(byStatus.find((r) => r.status === "queued")?.n ?? 0),
        runsByStatus: byStatus.map((r) => ({ status: statusFromColumn(r.status), count: BigInt(r.n) })),
        workersOnline: sessions.filter((s) => !s.draining).length,
        workersDraining: sessions.filter((s) => s.draining).length,
        slotsTotal: sessions.reduce((n, s) => n + s.capacity, 0),
        slotsUsed: sessions.reduce((n, s) => n + s.runs.size, 0),
        lastHour: await window(now - HOUR),
        lastDay: await window(now - 24 * HOUR),
        throughputPerMinute: fiveMin.reduce((n, r) => n + Number(r.n), 0) / 5,
      };
    },
    async getInfo() {
      return { version: app.version, database: app.db.dialect, startTime: ts(app.startedAt) };
    },
  };
}
