import { TableIndex, type MigrationInterface, type QueryRunner } from "typeorm";

/**
 * sessions.person_id indexed: PersonService counts a page's people's live sessions and ends a
 * person's sessions by it, and deleting a person cascades through it; neither SQLite nor Postgres
 * indexes a foreign key's column by itself.
 */
export class SessionsByPerson1768000000100 implements MigrationInterface {
  name = "SessionsByPerson1768000000100";

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex("sessions", new TableIndex({ name: "idx_sessions_person_id", columnNames: ["person_id"] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex("sessions", "idx_sessions_person_id");
  }
}
