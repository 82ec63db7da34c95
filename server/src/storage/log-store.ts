import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { RunOutputSchema, type RunOutput } from "../gen/flightcontrol/v1/run_pb";
import { createBatchInsert } from "./batch-insert";
import type { RunEventStore } from "./run-event-store";
import type { RunStore } from "./run-store";
import type { Param, Sql } from "./sql";

interface LogRowRaw {
  seq: number | string;
  time: number | string;
  stream: number;
  text: string;
}

export interface LogStoreDeps {
  /** Agent events share the batch and the seq space with log lines. */
  runEvents: RunEventStore;
  /** The run's last_seq moves in the batch's transaction. */
  runs: Pick<RunStore, "advanceLastSeq">;
}

/**
 * Run output: log lines (job_logs) here, agent events through the run-event store. A batch is one
 * transaction of insert-or-ignore rows keyed (run_id, seq), so a batch resent after a reconnect
 * stores nothing twice; reads merge the two tables in seq order.
 */
export function createLogStore(sql: Sql, { runEvents, runs }: LogStoreDeps) {
  const insertLogs = createBatchInsert(sql, "job_logs", ["run_id", "seq", "time", "stream", "text"]);

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
          runEvents.addRow(events, runId, seq, time, item.payload.value);
        }
      }
      await sql.transaction(async (tx) => {
        if (logs.length) await insertLogs(tx, logs);
        if (events.length) await runEvents.insertRows(tx, events);
        await runs.advanceLastSeq(runId, maxSeq, tx);
      });
      return maxSeq;
    },

    /** Output items after a seq, in seq order. */
    async list(runId: string, afterSeq: number, limit: number): Promise<RunOutput[]> {
      const [logs, events] = await Promise.all([
        sql.all<LogRowRaw>("SELECT seq, time, stream, text FROM job_logs WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?", [
          runId,
          afterSeq,
          limit,
        ]),
        runEvents.after(runId, afterSeq, limit),
      ]);
      const out: RunOutput[] = [
        ...logs.map((r) =>
          create(RunOutputSchema, {
            seq: BigInt(r.seq),
            time: timestampFromMs(Number(r.time)),
            payload: { case: "log", value: { stream: r.stream, text: r.text } },
          }),
        ),
        ...events,
      ];
      out.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
      return out.slice(0, limit);
    },
  };
}

export type LogStore = ReturnType<typeof createLogStore>;
