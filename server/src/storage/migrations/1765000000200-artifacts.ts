import { Table, TableIndex, type MigrationInterface, type QueryRunner } from "typeorm";

/**
 * artifacts: the metadata of the files runs kept (the bytes are in the blob store, keyed by id).
 * Schema API, so it runs on SQLite and Postgres. No foreign key to job_runs: retention deletes
 * artifacts on its own schedule, and a run row is never deleted before them.
 */
export class Artifacts1765000000200 implements MigrationInterface {
  name = "Artifacts1765000000200";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: "artifacts",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "run_id", type: "varchar", length: "36" },
          { name: "upload_id", type: "varchar", length: "36" },
          { name: "name", type: "varchar", length: "1024" },
          { name: "size_bytes", type: "bigint" },
          { name: "sha256", type: "varchar", length: "64" },
          { name: "content_type", type: "varchar", length: "255" },
          { name: "kind", type: "varchar", length: "16" },
          { name: "created_at", type: "bigint" },
        ],
        indices: [
          new TableIndex({ name: "idx_artifacts_upload", columnNames: ["run_id", "upload_id"], isUnique: true }),
          new TableIndex({ name: "idx_artifacts_created", columnNames: ["created_at"] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("artifacts");
  }
}
