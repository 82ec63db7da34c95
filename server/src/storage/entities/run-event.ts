import { EntitySchema } from "typeorm";
import { epochMs, str, text } from "../columns";

/** A structured agent event; shares the per-run seq space with job_logs. */
export interface RunEventRow {
  runId: string;
  seq: number;
  time: number;
  kind: string;
  /** AgentEvent as protobuf JSON. */
  payload: string;
}

export const RunEventEntity = new EntitySchema<RunEventRow>({
  name: "RunEvent",
  tableName: "run_events",
  columns: {
    runId: { type: "varchar", length: 36, primary: true, name: "run_id" },
    seq: { ...epochMs(), primary: true },
    time: epochMs(),
    kind: str(32),
    payload: text(),
  },
});
