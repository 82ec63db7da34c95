import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../../src/storage/data-source";
import { createSql } from "../../../src/storage/sql";

let db: Database | undefined;
afterEach(async () => db?.dataSource.destroy());

describe("Sql transactions on SQLite", () => {
  it("rethrow the error that failed the transaction even when SQLite already rolled it back by itself", async () => {
    db = await openDatabase("sqlite::memory:");
    const sql = createSql(db);
    const raw = (db.dataSource.driver as unknown as { databaseConnection: { exec(q: string): void } }).databaseConnection;
    await sql.run("CREATE TABLE t (x INTEGER)");
    // What SQLite does on SQLITE_FULL or an I/O error: the transaction is gone before our ROLLBACK.
    const failing = sql.transaction(async (tx) => {
      await tx.run("INSERT INTO t VALUES (1)");
      raw.exec("ROLLBACK");
      throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    });
    await expect(failing).rejects.toThrow("database or disk is full");
    // And the next transaction works.
    await sql.transaction(async (tx) => tx.run("INSERT INTO t VALUES (2)"));
    expect(await sql.all("SELECT x FROM t")).toEqual([{ x: 2 }]);
  });

  it("undo a failed nested transaction (savepoint) and keep the outer one", async () => {
    db = await openDatabase("sqlite::memory:");
    const sql = createSql(db);
    await sql.run("CREATE TABLE t (x INTEGER)");
    await sql.transaction(async (tx) => {
      await tx.run("INSERT INTO t VALUES (1)");
      await expect(
        tx.transaction(async (inner) => {
          await inner.run("INSERT INTO t VALUES (2)");
          throw new Error("inner failed");
        }),
      ).rejects.toThrow("inner failed");
    });
    expect(await sql.all("SELECT x FROM t")).toEqual([{ x: 1 }]);
  });

  it("raise a driver outage as unavailable and mark the database down", async () => {
    db = await openDatabase("sqlite::memory:");
    const sql = createSql(db);
    // A read-only query_only connection refuses writes with SQLITE_READONLY, as a read-only file would.
    (db.dataSource.driver as unknown as { databaseConnection: { pragma(q: string): void } }).databaseConnection.pragma("query_only = ON");
    await expect(sql.run("CREATE TABLE t (x INTEGER)")).rejects.toMatchObject({
      kind: "unavailable",
      message: expect.stringMatching(/^the database is unavailable \(SQLITE_READONLY/),
    });
    expect(db.health.status.available).toBe(false);
    db.health.stop();
  });
});
