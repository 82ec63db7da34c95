import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadServerConfig } from "../config";
import { openDatabase } from "../storage/data-source";

/**
 * `npm run db:revision -- Name`: writes the next migration from the difference between the entities
 * and the migrated database named by ORCH_DATABASE_URL. The SQL is that database's dialect; for a
 * migration that must run on SQLite and Postgres alike, rewrite it with TypeORM's schema API as the
 * initial migration does.
 */
const name = (process.argv[2] ?? "").replace(/[^A-Za-z0-9]/g, "");
if (!name) {
  console.error("usage: npm run db:revision -- MigrationName");
  process.exit(2);
}
const db = await openDatabase(loadServerConfig().databaseUrl);
const sql = await db.dataSource.driver.createSchemaBuilder().log();
await db.dataSource.destroy();
if (!sql.upQueries.length) {
  console.log("entities and database already match; no migration written");
  process.exit(0);
}
const stamp = Date.now();
const lines = (qs: typeof sql.upQueries) => qs.map((q) => `    await q.query(${JSON.stringify(q.query)});`).join("\n");
const file = join(import.meta.dirname, "../storage/migrations", `${stamp}-${name}.ts`);
writeFileSync(
  file,
  `import type { MigrationInterface, QueryRunner } from "typeorm";

export class ${name}${stamp} implements MigrationInterface {
  name = "${name}${stamp}";

  async up(q: QueryRunner): Promise<void> {
${lines(sql.upQueries)}
  }

  async down(q: QueryRunner): Promise<void> {
${lines([...sql.downQueries].reverse())}
  }
}
`,
);
console.log(`wrote ${file}\nadd ${name}${stamp} to server/src/storage/migrations/index.ts`);
