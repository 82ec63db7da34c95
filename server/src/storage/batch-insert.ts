import type { Param, Sql } from "./sql";

const ROWS_PER_STATEMENT = 200;

/**
 * Insert-or-ignore of many rows into one table, a few hundred rows per statement: the shape of a
 * log batch. Rows are passed flattened (columns.length values per row, in column order), so a
 * 1,000-line batch costs no per-row arrays. Duplicate keys are skipped, which makes a resent batch
 * store nothing twice.
 */
export function createBatchInsert(sql: Sql, table: string, columns: readonly string[]) {
  const width = columns.length;
  const ignore = sql.dialect === "sqlite" ? "INSERT OR IGNORE" : "INSERT";
  const onConflict = sql.dialect === "sqlite" ? "" : " ON CONFLICT DO NOTHING";
  const row = `(${Array(width).fill("?").join(", ")})`;
  // The statement text for each chunk size is built once: rebuilding a 200-row VALUES list per chunk cost more than binding it.
  const statements = new Map<number, string>();
  const statement = (rows: number) => {
    let q = statements.get(rows);
    if (!q) statements.set(rows, (q = `${ignore} INTO ${table} (${columns.join(", ")}) VALUES ${Array(rows).fill(row).join(", ")}${onConflict}`));
    return q;
  };

  /** Inserts the rows through tx (the batch's transaction). */
  return async function insertRows(tx: Sql, values: Param[]): Promise<void> {
    const per = ROWS_PER_STATEMENT * width;
    for (let i = 0; i < values.length; i += per) {
      const chunk = i === 0 && values.length <= per ? values : values.slice(i, i + per);
      await tx.run(statement(chunk.length / width), chunk);
    }
  };
}
