import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from "typeorm";

type Col = { name: string; type: string; length?: string; isNullable?: boolean; isPrimary?: boolean; isUnique?: boolean };

const idCol = (name = "id"): Col => ({ name, type: "varchar", length: "36", isPrimary: true });
const refCol = (name: string, isNullable = true): Col => ({ name, type: "varchar", length: "36", isNullable });
const ms = (name: string, isNullable = false): Col => ({ name, type: "bigint", isNullable });
const txt = (name: string): Col => ({ name, type: "text" });
const vc = (name: string, length: number, isNullable = false): Col => ({ name, type: "varchar", length: String(length), isNullable });
const int = (name: string, isNullable = false): Col => ({ name, type: "integer", isNullable });

/**
 * Written with TypeORM's schema API rather than generated SQL so the one migration runs on both
 * SQLite and Postgres; test/migrations.test.ts checks it matches the entities exactly.
 */
export class InitialSchema1732480000000 implements MigrationInterface {
  name = "InitialSchema1732480000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: "job_definitions",
        columns: [idCol(), { ...vc("name", 100), isUnique: true }, txt("description"), txt("spec"), ms("created_at"), ms("updated_at")],
      }),
    );
    await q.createTable(
      new Table({
        name: "job_runs",
        columns: [
          idCol(),
          refCol("job_id"),
          vc("job_name", 100),
          txt("spec"),
          vc("agent", 32),
          txt("required_labels"),
          txt("labels"),
          int("priority"),
          vc("status", 16),
          vc("trigger", 16),
          refCol("schedule_id"),
          refCol("retry_of_run_id"),
          int("attempt"),
          int("max_attempts"),
          refCol("worker_id"),
          vc("worker_name", 128, true),
          ms("created_at"),
          ms("available_at"),
          ms("assigned_at", true),
          ms("started_at", true),
          ms("finished_at", true),
          ms("deadline_at", true),
          int("timeout_seconds"),
          int("exit_code", true),
          txt("error"),
          txt("result"),
          txt("usage"),
          ms("last_seq"),
          { name: "cancel_requested", type: "boolean" },
          ms("updated_at"),
        ],
        indices: [
          new TableIndex({ name: "idx_job_runs_queue", columnNames: ["status", "priority", "id"] }),
          new TableIndex({ name: "idx_job_runs_job", columnNames: ["job_id", "id"] }),
          new TableIndex({ name: "idx_job_runs_worker", columnNames: ["worker_id", "status"] }),
          new TableIndex({ name: "idx_job_runs_schedule", columnNames: ["schedule_id", "id"] }),
          new TableIndex({ name: "idx_job_runs_finished", columnNames: ["finished_at"] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: "job_logs",
        columns: [idCol("run_id"), { ...ms("seq"), isPrimary: true }, ms("time"), int("stream"), txt("text")],
      }),
    );
    await q.createTable(
      new Table({
        name: "run_events",
        columns: [idCol("run_id"), { ...ms("seq"), isPrimary: true }, ms("time"), vc("kind", 32), txt("payload")],
      }),
    );
    await q.createTable(
      new Table({
        name: "credentials",
        columns: [
          idCol(),
          { ...vc("name", 100), isUnique: true },
          txt("description"),
          txt("env_names"),
          txt("ciphertext"),
          ms("created_at"),
          ms("updated_at"),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: "api_keys",
        columns: [
          idCol(),
          vc("name", 100),
          vc("role", 16),
          { ...vc("key_hash", 64), isUnique: true },
          vc("prefix", 16),
          ms("created_at"),
          ms("last_used_at", true),
          ms("revoked_at", true),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: "workers",
        columns: [
          idCol(),
          { ...vc("name", 128), isUnique: true },
          vc("hostname", 255),
          txt("labels"),
          int("capacity"),
          txt("agents"),
          vc("version", 64),
          vc("state", 16),
          vc("instance_id", 64),
          ms("connected_at"),
          ms("last_heartbeat_at"),
          ms("disconnected_at", true),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: "schedules",
        columns: [
          idCol(),
          refCol("job_id", false),
          vc("name", 100),
          vc("cron", 200),
          vc("time_zone", 64),
          { name: "paused", type: "boolean" },
          vc("misfire_policy", 16),
          vc("overlap_policy", 16),
          ms("next_run_at", true),
          ms("last_run_at", true),
          refCol("last_run_id"),
          ms("created_at"),
          ms("updated_at"),
        ],
        indices: [
          new TableIndex({ name: "idx_schedules_due", columnNames: ["paused", "next_run_at"] }),
          new TableIndex({ name: "idx_schedules_job", columnNames: ["job_id"] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ["job_id"],
            referencedTableName: "job_definitions",
            referencedColumnNames: ["id"],
            onDelete: "CASCADE",
          }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ["schedules", "workers", "api_keys", "credentials", "run_events", "job_logs", "job_runs", "job_definitions"]) {
      await q.dropTable(t);
    }
  }
}
