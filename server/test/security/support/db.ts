import { createHash } from "node:crypto";
import type { Sql } from "../../../src/storage/sql";

/**
 * Columns that change without any request asking for it: the key store stamps last_used_at at most
 * once a minute for whichever key is used, and a connected worker's heartbeat moves its row.
 */
const VOLATILE: Record<string, string[]> = {
  api_keys: ["last_used_at"],
  workers: ["last_heartbeat_at"],
};

export interface DbSnapshot {
  /** Row count per table. */
  counts: Record<string, number>;
  /** sha256 over every row of every table (volatile columns left out). */
  digest: string;
}

/** A fingerprint of the whole database: refused requests must leave it exactly as it was. */
export async function snapshotDb(sql: Sql): Promise<DbSnapshot> {
  const tables = (
    await sql.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
  ).map((t) => t.name);
  const counts: Record<string, number> = {};
  const hash = createHash("sha256");
  for (const table of tables) {
    const rows = await sql.all<Record<string, unknown>>(`SELECT * FROM "${table}" ORDER BY rowid`);
    counts[table] = rows.length;
    const skip = new Set(VOLATILE[table] ?? []);
    hash.update(`\u0000${table}\u0000`);
    for (const row of rows) {
      const kept = Object.entries(row).filter(([k]) => !skip.has(k));
      hash.update(JSON.stringify(kept, (_k, v) => (typeof v === "bigint" ? v.toString() : Buffer.isBuffer(v) ? v.toString("base64") : v)));
    }
  }
  return { counts, digest: hash.digest("hex") };
}
