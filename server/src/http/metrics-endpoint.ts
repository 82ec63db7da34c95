import { timingSafeEqual, createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";

/**
 * GET /metrics in Prometheus text format. With a token configured (ORCH_METRICS_TOKEN), a scrape
 * must send `Authorization: Bearer <token>`; without one it is open, as a scrape target usually is
 * on a private network. Returns false for any other request.
 */
export function createMetricsEndpoint(registry: Registry, token: string | undefined) {
  // Compared as digests so the comparison takes the same time whatever the length of the guess.
  const expected = token === undefined ? undefined : createHash("sha256").update(token).digest();
  const authorized = (req: IncomingMessage): boolean => {
    if (!expected) return true;
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    return !!match && timingSafeEqual(createHash("sha256").update(match[1]).digest(), expected);
  };

  return async function serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if ((req.url ?? "").split("?")[0] !== "/metrics" || req.method !== "GET") return false;
    if (!authorized(req)) {
      res.writeHead(401, { "content-type": "text/plain", "www-authenticate": 'Bearer realm="metrics"' });
      res.end("this server requires a token for /metrics: send 'Authorization: Bearer <ORCH_METRICS_TOKEN>'");
      return true;
    }
    // Collected before the head is written, so a failing collector still lets the caller answer 503.
    const body = await registry.metrics();
    res.writeHead(200, { "content-type": registry.contentType });
    res.end(body);
    return true;
  };
}
