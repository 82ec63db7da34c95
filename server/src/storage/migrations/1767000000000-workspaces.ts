import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from "typeorm";
import { RunSpecLast1764000000001 } from "./1764000000001-run-spec-last";

// Written out, not imported, so this migration keeps doing what it did when later code changes.
const DEFAULT_ID = "00000000-0000-7000-8000-000000000001";

/** Resource tables that get a workspace_id, every existing row in the default workspace. */
const SCOPED = ["job_definitions", "job_runs", "credentials", "schedules", "workers", "skills"];

/** Tables whose names were unique across the install and are now unique per workspace, with their new index. */
const RENAMED_UNIQUES: Array<[table: string, index: string]> = [
  ["job_definitions", "idx_job_definitions_name"],
  ["credentials", "idx_credentials_name"],
  ["skills", "idx_skills_name"],
];

/** Tables with foreign keys to a table above: on SQLite they are set aside while it is rebuilt. */
const CHILDREN: Record<string, string[]> = { job_definitions: ["schedules"], skills: ["skill_versions", "skill_files"], credentials: [] };

/**
 * Workspaces (issue #16). Creates `workspaces` (with each one's run limits, 0: none) holding the
 * `default` workspace, and `workspace_members`;
 * adds workspace_id to jobs, runs, credentials, schedules, workers and skills, defaulting to the
 * default workspace, so every existing row lands there. Logs, events, artifacts, skill versions and
 * files have no column: every access reaches them through their run or skill. API keys get a
 * nullable workspace_id: existing non-admin keys move to default; existing admin keys stay unbound,
 * i.e. instance-admin, since they could do everything before and an install needs one key that can
 * create workspaces (without an `x-workspace-id` header they act in default, as before).
 *
 * Job, credential and skill names become unique per workspace. On Postgres the old unique
 * constraint is dropped; SQLite cannot drop a column's UNIQUE, so the table is rebuilt. Migrations
 * run with foreign keys on and inside a transaction (where SQLite ignores turning them off), and
 * dropping a parent table deletes its rows first, cascading to its children: so the children
 * (schedules; skill versions and files) are copied aside and recreated after the parent.
 */
export class Workspaces1767000000000 implements MigrationInterface {
  name = "Workspaces1767000000000";

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.driver.options.type === "postgres";
    await q.createTable(
      new Table({
        name: "workspaces",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "name", type: "varchar", length: "100", isUnique: true },
          { name: "created_at", type: "bigint" },
          { name: "updated_at", type: "bigint" },
          { name: "max_concurrent_runs", type: "integer", default: 0 },
          { name: "max_queued_runs", type: "integer", default: 0 },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: "workspace_members",
        columns: [
          { name: "workspace_id", type: "varchar", length: "36", isPrimary: true },
          { name: "email", type: "varchar", length: "254", isPrimary: true },
          { name: "role", type: "varchar", length: "16" },
          { name: "created_at", type: "bigint" },
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ["workspace_id"],
            referencedTableName: "workspaces",
            referencedColumnNames: ["id"],
            onDelete: "CASCADE",
          }),
        ],
      }),
    );
    const now = Date.now();
    await q.query(`INSERT INTO workspaces (id, name, created_at, updated_at) VALUES ('${DEFAULT_ID}', 'default', ${now}, ${now})`);

    for (const table of SCOPED) {
      // ADD COLUMN with a default on both dialects: no table rebuild, every existing row in default.
      await q.query(`ALTER TABLE ${table} ADD COLUMN workspace_id varchar(36) NOT NULL DEFAULT '${DEFAULT_ID}'`);
    }
    await q.query(`ALTER TABLE api_keys ADD COLUMN workspace_id varchar(36)`);
    await q.query(`UPDATE api_keys SET workspace_id = '${DEFAULT_ID}' WHERE role <> 'admin'`);

    for (const [table, index] of RENAMED_UNIQUES) {
      if (pg) {
        const t = (await q.getTable(table))!;
        const unique = t.uniques.find((u) => u.columnNames.length === 1 && u.columnNames[0] === "name");
        if (unique) await q.dropUniqueConstraint(t, unique);
      } else {
        await rebuildWithoutNameUnique(q, table, CHILDREN[table] ?? []);
      }
      await q.createIndex(table, new TableIndex({ name: index, columnNames: ["workspace_id", "name"], isUnique: true }));
    }
    // On SQLite, the run's spec back to the end of its row (1764000000001-run-spec-last.ts).
    await new RunSpecLast1764000000001().up(q);
    await q.createIndex("job_runs", new TableIndex({ name: "idx_job_runs_workspace", columnNames: ["workspace_id", "id"] }));
    await q.createIndex("job_runs", new TableIndex({ name: "idx_job_runs_workspace_status", columnNames: ["workspace_id", "status"] }));
    await q.createIndex("job_runs", new TableIndex({ name: "idx_job_runs_workspace_finished", columnNames: ["workspace_id", "finished_at"] }));
  }

  async down(q: QueryRunner): Promise<void> {
    const pg = q.connection.driver.options.type === "postgres";
    await q.dropIndex("job_runs", "idx_job_runs_workspace_finished");
    await q.dropIndex("job_runs", "idx_job_runs_workspace_status");
    await q.dropIndex("job_runs", "idx_job_runs_workspace");
    for (const [table, index] of RENAMED_UNIQUES) {
      await q.dropIndex(table, index);
      // Names that now clash across workspaces make this fail, as it must: they cannot be global again.
      if (pg) await q.query(`ALTER TABLE ${table} ADD CONSTRAINT "UQ_${table}_name" UNIQUE (name)`);
      else await q.query(`CREATE UNIQUE INDEX "UQ_${table}_name" ON ${table} (name)`);
    }
    for (const table of [...SCOPED, "api_keys"]) await q.query(`ALTER TABLE ${table} DROP COLUMN workspace_id`);
    await q.dropTable("workspace_members");
    await q.dropTable("workspaces");
  }
}

/**
 * SQLite: recreates `table` without the UNIQUE on its name column (every other column, index and
 * foreign key as it was), keeping its rows and those of its children, which are copied aside and
 * recreated around it so that dropping the old parent has nothing to cascade to.
 */
async function rebuildWithoutNameUnique(q: QueryRunner, table: string, children: string[]): Promise<void> {
  const childTables = [];
  for (const child of children) {
    const t = (await q.getTable(child))!;
    childTables.push(t);
    await q.query(`CREATE TABLE "${child}_aside" AS SELECT * FROM "${child}"`);
    await q.query(`DROP TABLE "${child}"`);
  }
  const t = (await q.getTable(table))!;
  const rebuilt = t.clone();
  rebuilt.name = `${table}_rebuilt`;
  rebuilt.uniques = rebuilt.uniques.filter((u) => !(u.columnNames.length === 1 && u.columnNames[0] === "name"));
  for (const c of rebuilt.columns) if (c.name === "name") c.isUnique = false;
  rebuilt.indices = [];
  const names = t.columns.map((c) => `"${c.name}"`).join(", ");
  await q.createTable(rebuilt);
  await q.query(`INSERT INTO "${table}_rebuilt" (${names}) SELECT ${names} FROM "${table}"`);
  await q.query(`DROP TABLE "${table}"`);
  await q.query(`ALTER TABLE "${table}_rebuilt" RENAME TO "${table}"`);
  for (const index of t.indices.map((i) => i.clone())) await q.createIndex(table, index);
  for (const child of childTables) {
    const cols = child.columns.map((c) => `"${c.name}"`).join(", ");
    await q.createTable(child.clone());
    await q.query(`INSERT INTO "${child.name}" (${cols}) SELECT ${cols} FROM "${child.name}_aside"`);
    await q.query(`DROP TABLE "${child.name}_aside"`);
  }
}
