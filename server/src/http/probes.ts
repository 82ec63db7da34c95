import type { IncomingMessage, ServerResponse } from "node:http";
import type { Sql } from "../storage/sql";

/** /healthz: the process is up. /readyz: it can serve (database answers, not shutting down). */
export function createProbes(sql: Sql, isShuttingDown: () => boolean) {
  return async function probe(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? "").split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return true;
    }
    if (path === "/readyz") {
      let ok = !isShuttingDown();
      try {
        if (ok) await sql.get("SELECT 1 AS ok");
      } catch {
        ok = false;
      }
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify({ status: ok ? "ready" : "unavailable" }));
      return true;
    }
    return false;
  };
}
