import type { Database } from "./data-source";

export type Param = string | number | null | boolean;

/**
 * Plain SQL for the hot paths (claim, transitions, log batches). On SQLite it runs prepared
 * statements on better-sqlite3's connection synchronously, with no ORM overhead; on Postgres it
 * rewrites `?` placeholders to `$n` and goes through the pool.
 */
export interface Sql {
  dialect: Database["dialect"];
  all<T>(query: string, params?: Param[]): Promise<T[]>;
  get<T>(query: string, params?: Param[]): Promise<T | undefined>;
  /** Returns the number of rows changed. */
  run(query: string, params?: Param[]): Promise<number>;
  /** Runs fn inside one transaction. On SQLite fn must not await anything but this Sql. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
}

interface SqliteDb {
  prepare(q: string): { all(...p: unknown[]): unknown[]; get(...p: unknown[]): unknown; run(...p: unknown[]): { changes: number } };
  exec(q: string): void;
  readonly inTransaction: boolean;
}

// better-sqlite3 binds an array as the anonymous parameters (no spread of a 1,000-value log chunk)
// but refuses booleans; copy only when there is one.
const toSqlite = (p: Param[]) => (p.some((v) => typeof v === "boolean") ? p.map((v) => (typeof v === "boolean" ? (v ? 1 : 0) : v)) : p);

export function createSql(db: Database): Sql {
  if (db.dialect === "sqlite") {
    const raw = (db.dataSource.driver as unknown as { databaseConnection: SqliteDb }).databaseConnection;
    const cache = new Map<string, ReturnType<SqliteDb["prepare"]>>();
    const stmt = (q: string) => {
      let s = cache.get(q);
      if (!s) cache.set(q, (s = raw.prepare(q)));
      return s;
    };
    // better-sqlite3 throws synchronously; the error goes through the health monitor like TypeORM's do.
    const guard = <T>(fn: () => T): Promise<T> => {
      try {
        return Promise.resolve(fn());
      } catch (err) {
        return Promise.reject(db.health.classify(err));
      }
    };
    const exec = (q: string) => {
      try {
        raw.exec(q);
      } catch (err) {
        throw db.health.classify(err);
      }
    };
    let depth = 0;
    const sql: Sql = {
      dialect: "sqlite",
      all: (q, p = []) => guard(() => stmt(q).all(toSqlite(p)) as never),
      get: (q, p = []) => guard(() => stmt(q).get(toSqlite(p)) as never),
      run: (q, p = []) => guard(() => stmt(q).run(toSqlite(p)).changes),
      async transaction(fn) {
        // Statements are synchronous, so nothing else can interleave between BEGIN and COMMIT as
        // long as fn only awaits this Sql (whose promises are already settled).
        const name = `sp${depth++}`;
        try {
          exec(depth === 1 ? "BEGIN IMMEDIATE" : `SAVEPOINT ${name}`);
          try {
            const out = await fn(sql);
            exec(depth === 1 ? "COMMIT" : `RELEASE ${name}`);
            return out;
          } catch (e) {
            rollback(depth === 1 ? undefined : name);
            throw e;
          }
        } finally {
          depth--;
        }
      },
    };
    /**
     * After SQLITE_FULL, IOERR and the like SQLite may already have rolled the whole transaction
     * back by itself; an explicit ROLLBACK then fails ("no transaction is active") and would replace
     * the error that explains what happened. Roll back only what is still open, and never let the
     * rollback's own failure hide the original error, which the caller rethrows.
     */
    const rollback = (savepoint: string | undefined) => {
      if (!raw.inTransaction) return;
      try {
        raw.exec(savepoint ? `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}` : "ROLLBACK");
      } catch {
        // The original error is the one to report; the connection is left as SQLite left it.
      }
    };
    return sql;
  }

  const pg = (q: string) => {
    let i = 0;
    return q.replace(/\?/g, () => `$${++i}`);
  };
  // TypeORM returns [rows, affected] for UPDATE/DELETE (with RETURNING, rows are the returned ones).
  const rowsOf = (res: unknown): unknown[] =>
    Array.isArray(res) && res.length === 2 && Array.isArray(res[0]) && typeof res[1] === "number" ? res[0] : (res as unknown[]);
  const make = (query: (q: string, p: unknown[]) => Promise<unknown>): Sql => ({
    dialect: "postgres",
    all: async (q, p = []) => rowsOf(await query(pg(q), p)) as never,
    get: async (q, p = []) => rowsOf(await query(pg(q), p))[0] as never,
    run: async (q, p = []) => {
      const res = (await query(pg(q), p)) as unknown;
      // TypeORM returns [rows, affected] for UPDATE/DELETE on postgres.
      return Array.isArray(res) && typeof res[1] === "number" ? res[1] : Array.isArray(res) ? res.length : 0;
    },
    async transaction(fn) {
      return db.dataSource.transaction(async (m) => fn(make((q, p) => m.query(q, p))));
    },
  });
  return make((q, p) => db.dataSource.query(q, p));
}
