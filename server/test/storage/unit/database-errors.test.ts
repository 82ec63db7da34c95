import { describe, expect, it } from "vitest";
import { databaseOutage } from "../../../src/storage/database-errors";

const err = (props: Record<string, unknown>, message = "driver error") => Object.assign(new Error(message), props);

describe("databaseOutage", () => {
  it.each([
    ["SQLite disk full", err({ code: "SQLITE_FULL" }, "database or disk is full")],
    ["SQLite write error (extended code)", err({ code: "SQLITE_IOERR_WRITE" }, "disk I/O error")],
    ["SQLite read-only file", err({ code: "SQLITE_READONLY_DBMOVED" })],
    ["SQLite cannot open", err({ code: "SQLITE_CANTOPEN" })],
    ["SQLite busy past the timeout", err({ code: "SQLITE_BUSY" }, "database is locked")],
    ["through TypeORM's QueryFailedError", err({ driverError: err({ code: "SQLITE_FULL" }) }, "SqliteError: database or disk is full")],
    ["Postgres refusing connections", err({ code: "ECONNREFUSED" }, "connect ECONNREFUSED 127.0.0.1:5432")],
    ["a dual-stack connect (AggregateError)", Object.assign(new AggregateError([err({ code: "ECONNREFUSED" })], ""), {})],
    ["Postgres shutting down (57P01)", err({ code: "57P01" }, "terminating connection due to administrator command")],
    ["Postgres connection failure (class 08)", err({ code: "08006" })],
    ["Postgres disk full (53100)", err({ code: "53100" }, "could not extend file")],
    ["node-postgres dropped connection", new Error("Connection terminated unexpectedly")],
    ["node-postgres connect timeout", new Error("timeout exceeded when trying to connect")],
  ])("%s is an outage: unavailable, with the driver's words", (_name, e) => {
    const out = databaseOutage(e);
    expect(out?.kind).toBe("unavailable");
    expect(out?.message).toMatch(/^the database is unavailable \(/);
    expect(out?.cause).toBe(e);
  });

  it.each([
    ["a unique violation", err({ code: "SQLITE_CONSTRAINT_UNIQUE" })],
    ["a Postgres unique violation", err({ code: "23505" })],
    ["a syntax error", err({ code: "42601" })],
    ["SQLite misuse", err({ code: "SQLITE_ERROR" }, "no such table: nope")],
    ["a plain error", new Error("boom")],
  ])("%s is not an outage", (_name, e) => {
    expect(databaseOutage(e)).toBeUndefined();
  });
});
