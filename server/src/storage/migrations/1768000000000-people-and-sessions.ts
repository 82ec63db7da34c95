import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from "typeorm";

/**
 * Sign-in through OpenID Connect (issue #16): `people` (one row per person who has signed in, by
 * their provider's verified email) and `sessions` (a signed-in browser, by the SHA-256 of its
 * cookie's token; deleting a person deletes their sessions), and api_keys.created_by (the person who
 * made a key). A person is their provider's (issuer, subject); workspace memberships name people by
 * email (workspace_members), so people can be added before they first sign in.
 */
export class PeopleAndSessions1768000000000 implements MigrationInterface {
  name = "PeopleAndSessions1768000000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: "people",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "email", type: "varchar", length: "254", isUnique: true },
          { name: "issuer", type: "varchar", length: "500" },
          { name: "subject", type: "varchar", length: "255" },
          { name: "name", type: "varchar", length: "200" },
          { name: "instance_admin", type: "boolean" },
          { name: "created_at", type: "bigint" },
          { name: "last_sign_in_at", type: "bigint" },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: "sessions",
        columns: [
          { name: "token_hash", type: "varchar", length: "64", isPrimary: true },
          { name: "person_id", type: "varchar", length: "36" },
          { name: "created_at", type: "bigint" },
          { name: "expires_at", type: "bigint" },
        ],
        foreignKeys: [
          new TableForeignKey({ columnNames: ["person_id"], referencedTableName: "people", referencedColumnNames: ["id"], onDelete: "CASCADE" }),
        ],
      }),
    );
    await q.createIndex("sessions", new TableIndex({ name: "idx_sessions_expires_at", columnNames: ["expires_at"] }));
    await q.createIndex("people", new TableIndex({ name: "idx_people_identity", columnNames: ["issuer", "subject"], isUnique: true }));
    // Keys a person made: revoked when that person stops being an admin of the key's workspace.
    await q.query("ALTER TABLE api_keys ADD COLUMN created_by varchar(254)");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("api_keys", "created_by");
    await q.dropTable("sessions");
    await q.dropTable("people");
  }
}
