import type { IncomingMessage, ServerResponse } from "node:http";
import type { DatabaseHealth } from "../storage/database-health";
import type { Sql } from "../storage/sql";

/**
 * /healthz: the process is up (it stays up through a database outage, so a supervisor must not
 * restart it for one). /readyz: it can serve: not shutting down, and the database answers; when it
 * cannot, the body says why, e.g. `{"status":"unavailable","reason":"the database is unavailable (SQLITE_FULL: …) …"}`.
 */
export function createProbes(sql: Sql, health: DatabaseHealth, isShuttingDown: () => boolean) {
  /** Why the server cannot serve, or undefined when it can. */
  async function notReady(): Promise<string | undefined> {
    if (isShuttingDown()) return "the server is shutting down";
    const known = health.status;
    if (!known.available) return known.error.message;
    try {
      // Nothing may have touched the database since it went away: ask it. A failure here also marks it down.
      await sql.get("SELECT 1 AS ok");
    } catch (err) {
      return (err as Error).message;
    }
    return undefined;
  }

  return async function probe(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? "").split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return true;
    }
    if (path === "/readyz") {
      const reason = await notReady();
      const body = reason === undefined ? { status: "ready" } : { status: "unavailable", reason };
      res.writeHead(reason === undefined ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(body));
      return true;
    }
    return false;
  };
}
