import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";

/**
 * credentials.allowed_job_ids: the jobs whose runs may use the credential, as a JSON array of ids;
 * "[]" (every existing credential) means any run may. Schema API, so it runs on SQLite and Postgres.
 */
export class CredentialAllowedJobs1733900000000 implements MigrationInterface {
  name = "CredentialAllowedJobs1733900000000";

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn("credentials", new TableColumn({ name: "allowed_job_ids", type: "text", default: "'[]'" }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("credentials", "allowed_job_ids");
  }
}
