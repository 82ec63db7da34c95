import { Table, TableColumn, TableForeignKey, type MigrationInterface, type QueryRunner } from "typeorm";
import { RunSpecLast1764000000001 } from "./1764000000001-run-spec-last";

const skillRef = () =>
  new TableForeignKey({ columnNames: ["skill_id"], referencedTableName: "skills", referencedColumnNames: ["id"], onDelete: "CASCADE" });

/**
 * Skills (skills, skill_versions, skill_files: a version's files with their bytes as base64, so a
 * version is written in one transaction with its metadata), the parameter values and skill
 * versions of each run (job_runs.parameters, job_runs.skills), and a schedule's parameter values
 * (schedules.parameters). Existing runs and schedules get "{}" and "[]": none. Schema API, so it
 * runs on SQLite and Postgres; on SQLite the run's spec is moved back to the end of its row
 * (1764000000001-run-spec-last.ts).
 */
export class SkillsAndParameters1766000000000 implements MigrationInterface {
  name = "SkillsAndParameters1766000000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: "skills",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "name", type: "varchar", length: "64", isUnique: true },
          { name: "latest_version", type: "integer" },
          { name: "created_at", type: "bigint" },
          { name: "updated_at", type: "bigint" },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: "skill_versions",
        columns: [
          { name: "skill_id", type: "varchar", length: "36", isPrimary: true },
          { name: "version", type: "integer", isPrimary: true },
          { name: "description", type: "text" },
          { name: "front_matter", type: "text" },
          { name: "file_count", type: "integer" },
          { name: "size_bytes", type: "bigint" },
          { name: "created_at", type: "bigint" },
        ],
        foreignKeys: [skillRef()],
      }),
    );
    await q.createTable(
      new Table({
        name: "skill_files",
        columns: [
          { name: "skill_id", type: "varchar", length: "36", isPrimary: true },
          { name: "version", type: "integer", isPrimary: true },
          { name: "path", type: "varchar", length: "512", isPrimary: true },
          { name: "sha256", type: "varchar", length: "64" },
          { name: "size_bytes", type: "bigint" },
          { name: "executable", type: "boolean" },
          { name: "content", type: "text" },
        ],
        foreignKeys: [skillRef()],
      }),
    );
    const runs = (await q.getTable("job_runs"))!;
    await q.addColumns(runs, [
      new TableColumn({ name: "parameters", type: "text", default: "'{}'" }),
      new TableColumn({ name: "skills", type: "text", default: "'[]'" }),
    ]);
    await new RunSpecLast1764000000001().up(q);
    await q.addColumn("schedules", new TableColumn({ name: "parameters", type: "text", default: "'{}'" }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("schedules", "parameters");
    await q.dropColumn("job_runs", "skills");
    await q.dropColumn("job_runs", "parameters");
    for (const t of ["skill_files", "skill_versions", "skills"]) await q.dropTable(t);
  }
}
