import { Code, ConnectError } from "@connectrpc/connect";
import { type DomainErrorKind, isDomainError } from "../domain/errors";

/** SQLite's SQLITE_CONSTRAINT_UNIQUE / Postgres's 23505, through TypeORM's QueryFailedError. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  const code = e?.driverError?.code ?? e?.code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}

/** Runs a write and turns a unique-constraint violation into AlreadyExists with a useful message. */
export async function uniquely<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConnectError(`${what} already exists; choose another name`, Code.AlreadyExists);
    throw err;
  }
}

export const notFound = (what: string, id: string) => new ConnectError(`${what} ${id} not found`, Code.NotFound);

const codeOf: Record<DomainErrorKind, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  permission_denied: Code.PermissionDenied,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
};

/** The one place a domain error becomes a ConnectError; anything else passes through unchanged. */
export function toConnectError(err: unknown): unknown {
  if (isDomainError(err)) return new ConnectError(err.message, codeOf[err.kind], undefined, undefined, err);
  return err;
}
