import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { DataSource } from "typeorm";
import { afterAll, describe, expect, it } from "vitest";
import { JobSpecSchema } from "../src/gen/flightcontrol/v1/spec_pb";
import { summarizeSpec } from "../src/domain/specs/summary";
import { specSummaryFromJson, specToJson } from "../src/storage/codecs";
import { openDatabase } from "../src/storage/data-source";
import { InitialSchema1732480000000 } from "../src/storage/migrations/1732480000000-initial-schema";

const dir = mkdtempSync(join(tmpdir(), "fc-migrate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("migrations", () => {
  it("create the schema from empty, matching the entities exactly", async () => {
    const db = await openDatabase(`sqlite:${join(dir, "a.db")}`);
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    const tables = await db.dataSource.query("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name");
    expect(tables.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(["api_keys", "credentials", "job_definitions", "job_logs", "job_runs", "run_events", "schedules", "workers"]),
    );
    const [{ journal_mode }] = await db.dataSource.query("PRAGMA journal_mode");
    expect(journal_mode).toBe("wal");
    await db.dataSource.destroy();
  });

  it("are idempotent on restart", async () => {
    const url = `sqlite:${join(dir, "b.db")}`;
    await (await openDatabase(url)).dataSource.destroy();
    const again = await openDatabase(url);
    expect(await again.dataSource.showMigrations()).toBe(false);
    await again.dataSource.destroy();
  });

  it("give jobs and runs stored before spec summaries the summary new ones get", async () => {
    const file = join(dir, "c.db");
    // The schema as the first migration left it, with a job and a run written then.
    const old = new DataSource({ type: "better-sqlite3", database: file, migrations: [InitialSchema1732480000000] });
    await old.initialize();
    await old.runMigrations();
    const specs = [
      create(JobSpecSchema, { agent: "goose", provider: "openai", model: "gpt-4o", prompt: `${"é😀".repeat(150)} tail` }),
      create(JobSpecSchema, { agent: "shell", prompt: "echo short" }),
    ];
    for (const [i, spec] of specs.entries()) {
      await old.query("INSERT INTO job_definitions (id, name, description, spec, created_at, updated_at) VALUES (?, ?, '', ?, 1, 1)", [`j${i}`, `job ${i}`, specToJson(spec)]);
      await old.query(
        "INSERT INTO job_runs (id, job_name, spec, agent, required_labels, labels, priority, status, trigger, attempt, max_attempts, " +
          "created_at, available_at, timeout_seconds, error, result, usage, last_seq, cancel_requested, updated_at) " +
          "VALUES (?, 'r', ?, ?, '{}', '{}', 0, 'queued', 'ad_hoc', 1, 1, 1, 1, 60, '', '', '{}', 0, 0, 1)",
        [`r${i}`, specToJson(spec), spec.agent],
      );
    }
    await old.destroy();

    const db = await openDatabase(`sqlite:${file}`);
    for (const table of ["job_definitions", "job_runs"]) {
      const rows: Array<{ spec_summary: string }> = await db.dataSource.query(`SELECT spec_summary FROM ${table} ORDER BY id`);
      expect(rows.map((r) => specSummaryFromJson(r.spec_summary))).toEqual(specs.map(summarizeSpec));
    }
    expect(specSummaryFromJson((await db.dataSource.query("SELECT spec_summary FROM job_runs WHERE id = 'r0'"))[0].spec_summary).promptTruncated).toBe(true);
    await db.dataSource.destroy();
  });
});
