import { create, fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AgentEventSchema, RunOutputSchema, type RunOutput } from "../gen/flightcontrol/v1/run_pb";
import type { Param, Sql } from "./sql";

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
  const WIDTH = 5;
  // The statement text for each chunk size is built once: rebuilding a 200-row VALUES list per chunk cost more than binding it.
  const statements = new Map<string, string>();
  const statement = (table: string, cols: string, rows: number) => {
    const key = `${table}:${rows}`;
    let q = statements.get(key);
    if (!q) {
      const row = `(${Array(WIDTH).fill("?").join(", ")})`;
      statements.set(key, (q = `${ignore} INTO ${table} (${cols}) VALUES ${Array(rows).fill(row).join(", ")}${onConflict}`));
    }
    return q;
  };

  /** values is rows flattened, WIDTH per row. */
  async function insertRows(tx: Sql, table: string, cols: string, values: Param[]) {
    const per = ROWS_PER_STATEMENT * WIDTH;
    for (let i = 0; i < values.length; i += per) {
      const chunk = i === 0 && values.length <= per ? values : values.slice(i, i + per);
      await tx.run(statement(table, cols, chunk.length / WIDTH), chunk);
    }
  }

  return {
    /** Stores a batch and advances the run's last_seq; returns the highest seq in the batch. */
    async append(runId: string, items: RunOutput[]): Promise<number> {
      const logs: Param[] = [];
      const events: Param[] = [];
      let maxSeq = 0;
      const received = Date.now();
      for (const item of items) {
        const seq = Number(item.seq);
        if (seq > maxSeq) maxSeq = seq;
        const t = item.time;
        const time = t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) : received;
        if (item.payload.case === "log") {
          logs.push(runId, seq, time, item.payload.value.stream, item.payload.value.text);
        } else if (item.payload.case === "event") {
          const ev = item.payload.value;
          events.push(runId, seq, time, ev.kind.case ?? "unknown", toJsonString(AgentEventSchema, ev));
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
