import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DataSource, type QueryRunner } from "typeorm";
import { createDatabaseHealth, type DatabaseHealth } from "./database-health";
import { entities } from "./entities";
import { migrations } from "./migrations";

export type Dialect = "sqlite" | "postgres";

export interface Database {
  dataSource: DataSource;
  dialect: Dialect;
  /** Whether the database serves; every query's outage error reaches it (see reportOutages). */
  health: DatabaseHealth;
}

/** `sqlite:<path>` (or `sqlite::memory:`) or `postgres://…`. */
export function createDataSource(url: string): Database {
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    // A connect that hangs (server unreachable rather than refusing) fails after 10 s instead of
    // holding the request, and with it the worker session's in-order message handling, forever.
    const dataSource = new DataSource({ type: "postgres", url, entities, migrations, migrationsRun: false, poolSize: 10, connectTimeoutMS: 10_000 });
    const health = createDatabaseHealth();
    reportOutages(dataSource, health);
    health.setProbe(() => dataSource.query("SELECT 1"));
    return { dialect: "postgres", dataSource, health };
  }
  if (!url.startsWith("sqlite:")) {
    throw new Error(`ORCH_DATABASE_URL must start with sqlite: or postgres://, got "${url.split(":")[0]}:…"`);
  }
  const file = url.slice("sqlite:".length);
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const dataSource = new DataSource({
    type: "better-sqlite3",
    database: file,
    entities,
    migrations,
    statementCacheSize: 200,
    prepareDatabase: (db: { pragma(s: string): unknown }) => {
      // WAL lets readers proceed during the log writer's transactions; NORMAL is durable across
      // process crashes (only an OS crash can lose the last commits), which suits a run log.
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      db.pragma("foreign_keys = ON");
    },
  });
  const health = createDatabaseHealth();
  reportOutages(dataSource, health);
  // A full or failing disk still serves reads: the probe must write. Rewriting the header's
  // user_version with its own value commits a page (a WAL frame) and changes nothing.
  health.setProbe(async () => {
    const raw = (dataSource.driver as unknown as { databaseConnection: { pragma(s: string, o?: { simple: boolean }): unknown } }).databaseConnection;
    const version = Number(raw.pragma("user_version", { simple: true }));
    raw.pragma(`user_version = ${version}`);
  });
  return { dialect: "sqlite", dataSource, health };
}

/**
 * Every TypeORM query (repositories, migrations, DataSource.query, which Sql uses on Postgres)
 * runs on a query runner: its errors pass through the health monitor there, so an outage surfaces
 * everywhere as one `unavailable` DomainError and marks the database down.
 */
function reportOutages(dataSource: DataSource, health: DatabaseHealth) {
  const wrapped = new WeakSet<QueryRunner>();
  const driver = dataSource.driver;
  const create = driver.createQueryRunner.bind(driver);
  driver.createQueryRunner = (mode) => {
    const runner = create(mode);
    if (wrapped.has(runner)) return runner;
    wrapped.add(runner);
    for (const method of ["query", "connect"] as const) {
      const original = (runner[method] as (...a: unknown[]) => Promise<unknown>).bind(runner);
      (runner as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
        try {
          return await original(...args);
        } catch (err) {
          throw health.classify(err);
        }
      };
    }
    return runner;
  };
}

/** Opens the database and applies pending migrations. */
export async function openDatabase(url: string): Promise<Database> {
  const db = createDataSource(url);
  await db.dataSource.initialize();
  await db.dataSource.runMigrations({ transaction: "each" });
  return db;
}
