import { create, fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AgentEventSchema, RunOutputSchema, type RunOutput } from "../gen/flightcontrol/v1/run_pb";
import type { Sql } from "./sql";

interface LogRowRaw { seq: number | string; time: number | string; stream: number; text: string }
interface EventRowRaw { seq: number | string; time: number | string; kind: string; payload: string }

/**
 * Run output storage. A batch is one transaction of insert-or-ignore rows keyed (run_id, seq), so a
 * batch resent after a reconnect stores nothing twice. Log lines and agent events live in separate
 * tables but share the seq space; reads merge them.
 */
export function createLogStore(sql: Sql) {
  const ignore = sql.dialect === "sqlite" ? "INSERT OR IGNORE" : "INSERT";
  const onConflict = sql.dialect === "sqlite" ? "" : " ON CONFLICT DO NOTHING";
  const ROWS_PER_STATEMENT = 200;

  async function insertRows(tx: Sql, table: string, cols: string, rows: unknown[][]) {
    const width = cols.split(",").length;
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
      const values = chunk.map(() => `(${Array(width).fill("?").join(", ")})`).join(", ");
      await tx.run(`${ignore} INTO ${table} (${cols}) VALUES ${values}${onConflict}`, chunk.flat() as never);
    }
  }

  return {
    /** Stores a batch and advances the run's last_seq; returns the highest seq in the batch. */
    async append(runId: string, items: RunOutput[]): Promise<number> {
      const logs: unknown[][] = [];
      const events: unknown[][] = [];
      let maxSeq = 0;
      for (const item of items) {
        const seq = Number(item.seq);
        if (seq > maxSeq) maxSeq = seq;
        const time = item.time ? timestampDate(item.time).getTime() : Date.now();
        if (item.payload.case === "log") {
          logs.push([runId, seq, time, item.payload.value.stream, item.payload.value.text]);
        } else if (item.payload.case === "event") {
          const ev = item.payload.value;
          events.push([runId, seq, time, ev.kind.case ?? "unknown", toJsonString(AgentEventSchema, ev)]);
        }
      }
      await sql.transaction(async (tx) => {
        if (logs.length) await insertRows(tx, "job_logs", "run_id, seq, time, stream, text", logs);
        if (events.length) await insertRows(tx, "run_events", "run_id, seq, time, kind, payload", events);
        await tx.run("UPDATE job_runs SET last_seq = ? WHERE id = ? AND last_seq < ?", [maxSeq, runId, maxSeq]);
      });
      return maxSeq;
    },

    /** Output items after a seq, in seq order. */
    async list(runId: string, afterSeq: number, limit: number): Promise<RunOutput[]> {
      const [logs, events] = await Promise.all([
        sql.all<LogRowRaw>("SELECT seq, time, stream, text FROM job_logs WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?", [runId, afterSeq, limit]),
        sql.all<EventRowRaw>("SELECT seq, time, kind, payload FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?", [runId, afterSeq, limit]),
      ]);
      const out: RunOutput[] = [
        ...logs.map((r) => create(RunOutputSchema, {
          seq: BigInt(r.seq), time: timestampFromMs(Number(r.time)),
          payload: { case: "log", value: { stream: r.stream, text: r.text } },
        })),
        ...events.map((r) => create(RunOutputSchema, {
          seq: BigInt(r.seq), time: timestampFromMs(Number(r.time)),
          payload: { case: "event", value: fromJsonString(AgentEventSchema, r.payload) },
        })),
      ];
      out.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
      return out.slice(0, limit);
    },

    /** Highest stored seq for the run (0 when none). */
    async maxSeq(runId: string): Promise<number> {
      const row = await sql.get<{ m: number | string | null }>(
        "SELECT MAX(m) AS m FROM (SELECT MAX(seq) AS m FROM job_logs WHERE run_id = ? UNION ALL SELECT MAX(seq) AS m FROM run_events WHERE run_id = ?) t",
        [runId, runId],
      );
      return Number(row?.m ?? 0);
    },
  };
}

export type LogStore = ReturnType<typeof createLogStore>;
