import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DataSource } from "typeorm";
import { entities } from "./entities";
import { migrations } from "./migrations";

export type Dialect = "sqlite" | "postgres";

export interface Database {
  dataSource: DataSource;
  dialect: Dialect;
}

/** `sqlite:<path>` (or `sqlite::memory:`) or `postgres://…`. */
export function createDataSource(url: string): Database {
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    return {
      dialect: "postgres",
      dataSource: new DataSource({ type: "postgres", url, entities, migrations, migrationsRun: false, poolSize: 10 }),
    };
  }
  if (!url.startsWith("sqlite:")) {
    throw new Error(`ORCH_DATABASE_URL must start with sqlite: or postgres://, got "${url.split(":")[0]}:…"`);
  }
  const file = url.slice("sqlite:".length);
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  return {
    dialect: "sqlite",
    dataSource: new DataSource({
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
    }),
  };
}

/** Opens the database and applies pending migrations. */
export async function openDatabase(url: string): Promise<Database> {
  const db = createDataSource(url);
  await db.dataSource.initialize();
  await db.dataSource.runMigrations({ transaction: "each" });
  return db;
}
