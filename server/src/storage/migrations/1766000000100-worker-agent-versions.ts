import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";

/**
 * workers.agent_versions: the version of each agent CLI a worker offers (a JSON object, agent name →
 * version, from its Hello), "{}" for every existing worker until it next connects. Schema API, so it
 * runs on SQLite and Postgres.
 */
export class WorkerAgentVersions1766000000100 implements MigrationInterface {
  name = "WorkerAgentVersions1766000000100";

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn("workers", new TableColumn({ name: "agent_versions", type: "text", default: "'{}'" }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("workers", "agent_versions");
  }
}
