import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/storage/data-source";
import { checkSpecSummaryBackfill } from "./support/spec-summary-backfill";

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
    // A run's spec is stored last, so reading its other columns never walks the spec's overflow pages.
    const runColumns: Array<{ name: string }> = await db.dataSource.query("PRAGMA table_info(job_runs)");
    expect(runColumns.at(-1)!.name).toBe("spec");
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

  it("give credentials stored before allowed_job_ids an empty list (any run may use them)", async () => {
    const db = await openDatabase(`sqlite:${join(dir, "c.db")}`);
    // Back to before the column (later migrations first), as a database written by an older version.
    const hasColumn = async () =>
      (await db.dataSource.query("PRAGMA table_info(credentials)")).some((c: { name: string }) => c.name === "allowed_job_ids");
    while (await hasColumn()) await db.dataSource.undoLastMigration();
    await db.dataSource.query(
      "INSERT INTO credentials (id, name, description, env_names, ciphertext, created_at, updated_at) VALUES ('c1', 'old', '', '[]', 'x', 1, 1)",
    );
    await db.dataSource.runMigrations();
    expect(await db.dataSource.query("SELECT allowed_job_ids FROM credentials")).toEqual([{ allowed_job_ids: "[]" }]);
    await db.dataSource.destroy();
  });

  it("give jobs and runs stored before spec summaries the summary new ones get", async () => {
    await checkSpecSummaryBackfill(`sqlite:${join(dir, "c2.db")}`);
  });
});
