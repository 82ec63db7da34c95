import { EntitySchema } from "typeorm";
import { epochMs, int, text } from "../columns";

/** One log line. (run_id, seq) is the key, so a resent batch is stored once. */
export interface JobLogRow {
  runId: string;
  seq: number;
  time: number;
  stream: number;
  text: string;
}

export const JobLogEntity = new EntitySchema<JobLogRow>({
  name: "JobLog",
  tableName: "job_logs",
  columns: {
    runId: { type: "varchar", length: 36, primary: true, name: "run_id" },
    seq: { ...epochMs(), primary: true },
    time: epochMs(),
    stream: int(),
    text: text(),
  },
});
