import { loadServerConfig } from "../config";
import { createDataSource } from "../storage/data-source";

/** `npm run db:migrate`: applies pending migrations and says which. */
const config = loadServerConfig();
const { dataSource } = createDataSource(config.databaseUrl);
await dataSource.initialize();
const applied = await dataSource.runMigrations({ transaction: "each" });
console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(", ")}` : "database is up to date");
await dataSource.destroy();
