import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";

/**
 * Who may speak for a worker. api_keys.worker_labels: the labels a worker key is bound to, as a JSON
 * object ("{}", every existing key: unbound). workers.session_token_hash and workers.api_key_id: the
 * SHA-256 of the token the worker's latest session was issued, and the key it connected with, so
 * only that process (not another holder of a worker key reusing the name) can resume its runs; ""
 * for existing rows, which no token matches. Stored rather than kept in memory so a reconnect
 * after a server restart, or to another replica, is recognised. Schema API: SQLite and Postgres.
 */
export class KeyBoundIdentities1734600000000 implements MigrationInterface {
  name = "KeyBoundIdentities1734600000000";

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn("api_keys", new TableColumn({ name: "worker_labels", type: "text", default: "'{}'" }));
    await q.addColumn("workers", new TableColumn({ name: "session_token_hash", type: "varchar", length: "64", default: "''" }));
    await q.addColumn("workers", new TableColumn({ name: "api_key_id", type: "varchar", length: "36", default: "''" }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("workers", "api_key_id");
    await q.dropColumn("workers", "session_token_hash");
    await q.dropColumn("api_keys", "worker_labels");
  }
}
