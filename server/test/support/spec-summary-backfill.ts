import { create } from "@bufbuild/protobuf";
import { DataSource } from "typeorm";
import { expect } from "vitest";
import { JobSpecSchema } from "../../src/gen/flightcontrol/v1/spec_pb";
import { summarizeSpec } from "../../src/domain/specs/summary";
import { specSummaryFromJson, specToJson } from "../../src/storage/codecs";
import { openDatabase } from "../../src/storage/data-source";
import { InitialSchema1732480000000 } from "../../src/storage/migrations/1732480000000-initial-schema";

/**
 * Writes a job and a run with the first migration's schema at `url` (an empty database), then opens
 * it as the server does and checks that the migration's SQL backfill gave them exactly the summary
 * the domain computes for new ones, on either dialect.
 */
export async function checkSpecSummaryBackfill(url: string): Promise<void> {
  const pg = url.startsWith("postgres");
  const old = pg
    ? new DataSource({ type: "postgres", url, migrations: [InitialSchema1732480000000] })
    : new DataSource({ type: "better-sqlite3", database: url.slice("sqlite:".length), migrations: [InitialSchema1732480000000] });
  await old.initialize();
  await old.runMigrations();
  const params = (sql: string) => {
    let i = 0;
    return pg ? sql.replace(/\?/g, () => `$${++i}`) : sql;
  };
  const specs = [
    create(JobSpecSchema, { agent: "goose", provider: "openai", model: "gpt-4o", prompt: `${"é😀".repeat(150)} tail` }),
    create(JobSpecSchema, { agent: "shell", prompt: "echo short" }),
  ];
  try {
    for (const [i, spec] of specs.entries()) {
      await old.query(params("INSERT INTO job_definitions (id, name, description, spec, created_at, updated_at) VALUES (?, ?, '', ?, 1, 1)"), [
        `j${i}`,
        `job ${i}`,
        specToJson(spec),
      ]);
      await old.query(
        params(
          "INSERT INTO job_runs (id, job_name, spec, agent, required_labels, labels, priority, status, trigger, attempt, max_attempts, " +
            "created_at, available_at, timeout_seconds, error, result, usage, last_seq, cancel_requested, updated_at) " +
            "VALUES (?, 'r', ?, ?, '{}', '{}', 0, 'queued', 'ad_hoc', 1, 1, 1, 1, 60, '', '', '{}', 0, false, 1)",
        ),
        [`r${i}`, specToJson(spec), spec.agent],
      );
    }
  } finally {
    await old.destroy();
  }

  const db = await openDatabase(url);
  try {
    for (const table of ["job_definitions", "job_runs"]) {
      const rows: Array<{ spec_summary: string }> = await db.dataSource.query(`SELECT spec_summary FROM ${table} ORDER BY id`);
      const summaries = rows.map((r) => specSummaryFromJson(r.spec_summary));
      expect(summaries).toEqual(specs.map(summarizeSpec));
      expect(summaries.map((s) => s.promptTruncated)).toEqual([true, false]);
    }
  } finally {
    await db.dataSource.destroy();
  }
}
