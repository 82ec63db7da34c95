import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/storage/data-source";

const dir = mkdtempSync(join(tmpdir(), "fc-migrate-changes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the run-changes migration", () => {
  it("gives runs stored before it no changes, and keeps the spec last on SQLite", async () => {
    const db = await openDatabase(`sqlite:${join(dir, "a.db")}`);
    const columns = async () =>
      (await db.dataSource.query("PRAGMA table_info(job_runs)")) as Array<{ name: string; type: string; notnull: number; dflt_value: string | null }>;
    while ((await columns()).some((c) => c.name === "changes")) await db.dataSource.undoLastMigration();
    // A row as an older version wrote it: every required column, whatever its value.
    const required = (await columns()).filter((c) => c.notnull && c.dflt_value === null);
    await db.dataSource.query(
      `INSERT INTO job_runs (${required.map((c) => `"${c.name}"`).join(", ")}) VALUES (${required.map(() => "?").join(", ")})`,
      required.map((c) => (c.name === "id" ? "r-old" : /int/i.test(c.type) ? 0 : "{}")),
    );
    await db.dataSource.runMigrations();
    expect(await db.dataSource.query("SELECT id, changes FROM job_runs")).toEqual([{ id: "r-old", changes: "" }]);
    expect((await columns()).at(-1)!.name).toBe("spec");
    await db.dataSource.destroy();
  });
});
