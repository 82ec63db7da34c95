import { alreadyExists } from "../domain/errors";

/** The driver's error code, from TypeORM's QueryFailedError or the driver's own error. */
const codeOf = (err: unknown): string | undefined => {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e?.driverError?.code ?? e?.code;
};

/** SQLite's SQLITE_CONSTRAINT_UNIQUE (or _PRIMARYKEY) / Postgres's 23505. */
export function isUniqueViolation(err: unknown): boolean {
  const code = codeOf(err);
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}

/** SQLite's SQLITE_CONSTRAINT_FOREIGNKEY / Postgres's 23503: the referenced row is gone. */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = codeOf(err);
  return code === "SQLITE_CONSTRAINT_FOREIGNKEY" || code === "23503";
}

/**
 * Runs a write and turns a unique-constraint violation into AlreadyExists naming what clashed
 * (`what` reads like `a job named "nightly"`). The database decides, so two concurrent creates of
 * the same name cannot both succeed.
 */
export async function uniquely<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw alreadyExists(`${what} already exists; choose another name`);
    throw err;
  }
}
