import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from "typeorm";
import { RunSpecLast1764000000001 } from "./1764000000001-run-spec-last";

/**
 * Follow-ups (RunService.ContinueRun). job_runs.parent_run_id: the run a follow-up continues (NULL
 * for every existing run), indexed for ListRuns(parent_run_id); job_runs.agent_session_id: the
 * agent's own session id a follow-up resumes ("" for existing runs: none recorded). Schema API, so
 * it runs on SQLite and Postgres; on SQLite the spec is moved back to the end of the row, as in
 * 1765000000000-run-changes.ts.
 */
export class RunFollowUps1765000000400 implements MigrationInterface {
  name = "RunFollowUps1765000000400";

  async up(q: QueryRunner): Promise<void> {
    // A fresh read: the query runner's cached job_runs predates the rebuilds earlier migrations did.
    const table = (await q.getTable("job_runs"))!;
    await q.addColumns(table, [
      new TableColumn({ name: "parent_run_id", type: "varchar", length: "36", isNullable: true }),
      new TableColumn({ name: "agent_session_id", type: "varchar", length: "256", default: "''" }),
    ]);
    await new RunSpecLast1764000000001().up(q);
    await q.createIndex("job_runs", new TableIndex({ name: "idx_job_runs_parent", columnNames: ["parent_run_id", "id"] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex("job_runs", "idx_job_runs_parent");
    await q.dropColumn("job_runs", "agent_session_id");
    await q.dropColumn("job_runs", "parent_run_id");
  }
}
