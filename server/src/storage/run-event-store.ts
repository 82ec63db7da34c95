import { create, fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AgentEventSchema, RunOutputSchema, type AgentEvent, type RunOutput } from "../gen/flightcontrol/v1/run_pb";
import { createBatchInsert } from "./batch-insert";
import type { Param, Sql } from "./sql";

interface EventRowRaw {
  seq: number | string;
  time: number | string;
  kind: string;
  payload: string;
}

/**
 * Structured agent events (run_events), keyed (run_id, seq) in the seq space they share with the
 * run's log lines. Written only as part of a log batch (log-store.ts), which owns the transaction.
 */
export function createRunEventStore(sql: Sql) {
  const insertRows = createBatchInsert(sql, "run_events", ["run_id", "seq", "time", "kind", "payload"]);

  return {
    /** Appends one event's row to a batch's flattened values. */
    addRow(values: Param[], runId: string, seq: number, time: number, ev: AgentEvent): void {
      values.push(runId, seq, time, ev.kind.case ?? "unknown", toJsonString(AgentEventSchema, ev));
    },
    /** Stores rows built with addRow, inside the batch's transaction. */
    insertRows,

    /** Events after a seq, in seq order. */
    async after(runId: string, afterSeq: number, limit: number): Promise<RunOutput[]> {
      const rows = await sql.all<EventRowRaw>("SELECT seq, time, kind, payload FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?", [
        runId,
        afterSeq,
        limit,
      ]);
      return rows.map((r) =>
        create(RunOutputSchema, {
          seq: BigInt(r.seq),
          time: timestampFromMs(Number(r.time)),
          payload: { case: "event", value: fromJsonString(AgentEventSchema, r.payload) },
        }),
      );
    },
  };
}

export type RunEventStore = ReturnType<typeof createRunEventStore>;
