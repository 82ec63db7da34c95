import { isDomainError, unavailable, type DomainError } from "../domain/errors";

/**
 * SQLite result codes that mean the database cannot take the request right now, whatever the
 * request: the disk is full or failing, the file went read-only or away, another process holds
 * the lock past the busy timeout. Extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED…)
 * start with these.
 */
const SQLITE_OUTAGES = ["SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_NOMEM"];

/**
 * Postgres SQLSTATE classes and codes of the same kind: 08 connection exceptions, 53 insufficient
 * resources (disk full, out of memory, too many connections), 57P01..57P03 the server shutting down
 * or starting, 58 system errors (I/O).
 */
const PG_OUTAGE_CLASSES = ["08", "53", "58"];
const PG_OUTAGE_CODES = ["57P01", "57P02", "57P03"];

/** Socket errors reaching the database server. */
const NET_OUTAGES = ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE"];

/** node-postgres reports a dropped or timed-out connection with these messages and no code. */
const PG_CONNECTION_MESSAGES = [/^Connection terminated/i, /timeout exceeded when trying to connect/i, /connection error and is not queryable/i];

interface DriverErrorShape {
  code?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
  errors?: unknown[];
}

/** The error and what it wraps: TypeORM's driverError, a cause, an AggregateError's first error (dual-stack connect). */
function* layers(err: unknown): Generator<DriverErrorShape> {
  for (let e = err as DriverErrorShape | undefined, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    yield e;
    if (Array.isArray(e.errors) && e.errors.length) yield* layers(e.errors[0]);
    e = (e.driverError ?? e.cause) as DriverErrorShape | undefined;
  }
}

function outageCode(err: unknown): string | undefined {
  for (const e of layers(err)) {
    const code = typeof e.code === "string" ? e.code : undefined;
    const message = typeof e.message === "string" ? e.message : "";
    if (code && SQLITE_OUTAGES.some((c) => code.startsWith(c))) return code;
    if (code && NET_OUTAGES.includes(code)) return code;
    if (code && /^[0-9A-Z]{5}$/.test(code) && (PG_OUTAGE_CODES.includes(code) || PG_OUTAGE_CLASSES.includes(code.slice(0, 2)))) return code;
    if (PG_CONNECTION_MESSAGES.some((m) => m.test(message))) return "connection lost";
  }
  return undefined;
}

/**
 * The one place a driver error is judged an outage (the database cannot serve, so retrying later
 * will work) rather than a problem with the request. Returns the `unavailable` DomainError to
 * raise instead, with the driver's own words, or undefined when the error is something else.
 */
export function databaseOutage(err: unknown): DomainError | undefined {
  if (isDomainError(err)) return undefined;
  const code = outageCode(err);
  if (!code) return undefined;
  const detail = String((err as { message?: unknown })?.message ?? err)
    .replace(/\s+/g, " ")
    .slice(0, 300);
  return unavailable(
    `the database is unavailable (${code}: ${detail}); the server keeps running and retries on its own. ` +
      "Check that the database server is up and its disk has free space, then try again",
    err,
  );
}
