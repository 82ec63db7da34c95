import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";
import { RunSpecLast1764000000001 } from "./1764000000001-run-spec-last";

/**
 * job_runs.changes: what a run committed in its repository (RunChanges as protobuf JSON), "" for
 * every existing run (none reported). Schema API, so it runs on SQLite and Postgres. On SQLite
 * addColumn appends the column after spec; the spec is moved back to the end of the row, since a
 * column stored after a large spec makes every list read walk its overflow pages
 * (1764000000001-run-spec-last.ts).
 */
export class RunChanges1765000000000 implements MigrationInterface {
  name = "RunChanges1765000000000";

  async up(q: QueryRunner): Promise<void> {
    // A fresh read: the query runner's cached job_runs predates the rebuild an earlier migration did.
    const table = (await q.getTable("job_runs"))!;
    await q.addColumn(table, new TableColumn({ name: "changes", type: "text", default: "''" }));
    await new RunSpecLast1764000000001().up(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("job_runs", "changes");
  }
}
