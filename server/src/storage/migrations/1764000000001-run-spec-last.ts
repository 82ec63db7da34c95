import { Table, type MigrationInterface, type QueryRunner } from "typeorm";

/**
 * On SQLite, moves job_runs.spec to the end of the row. SQLite stores a row's columns in order and
 * a large value spills into a chain of overflow pages, which must be walked to reach any column
 * stored after it: with the spec fourth, every list read and every dispatch scan of the queue
 * (which reads agent and required_labels) walked each run's whole spec, 50 ms per 400 runs of
 * 256 KiB. With the spec last, only reads that want the spec touch its pages. Postgres keeps large
 * values out of line (TOAST), so column order costs it nothing and it is left alone.
 *
 * job_runs has no foreign keys either way, so it can be rebuilt inside the migration's transaction.
 */
export class RunSpecLast1764000000001 implements MigrationInterface {
  name = "RunSpecLast1764000000001";

  async up(q: QueryRunner): Promise<void> {
    if (q.connection.driver.options.type === "postgres") return;
    const table = (await q.getTable("job_runs"))!;
    const columns = [...table.columns.filter((c) => c.name !== "spec"), table.columns.find((c) => c.name === "spec")!];
    const names = columns.map((c) => `"${c.name}"`).join(", ");
    await q.createTable(new Table({ name: "job_runs_rebuilt", columns: columns.map((c) => c.clone()) }));
    await q.query(`INSERT INTO "job_runs_rebuilt" (${names}) SELECT ${names} FROM "job_runs"`);
    await q.query(`DROP TABLE "job_runs"`);
    await q.query(`ALTER TABLE "job_runs_rebuilt" RENAME TO "job_runs"`);
    // A copy: createIndex adds each index to the cached table these came from.
    for (const index of table.indices.map((i) => i.clone())) await q.createIndex("job_runs", index);
  }

  async down(): Promise<void> {
    // Column order has no meaning to the schema: nothing to undo.
  }
}
