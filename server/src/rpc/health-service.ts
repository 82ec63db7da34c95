import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb";
import type { AppContext } from "../context";

/**
 * Serving means the database answers and the scheduler is running without failures; "" is the
 * whole server, and each of our services has the same status. During a database outage the server
 * stays up but is NOT_SERVING until the database is back.
 */
export function healthService(app: AppContext, serviceNames: string[]): ServiceImpl<typeof Health> {
  const known = new Set(["", ...serviceNames]);
  const status = async () => {
    if (!app.db.health.status.available) return Status.NOT_SERVING;
    try {
      // Asked, not assumed: nothing else may have touched the database since it went away.
      await app.sql.get("SELECT 1 AS ok");
      return app.scheduler.healthy ? Status.SERVING : Status.NOT_SERVING;
    } catch {
      return Status.NOT_SERVING;
    }
  };
  const check = async (service: string) => {
    if (!known.has(service)) throw new ConnectError(`unknown service "${service}"`, Code.NotFound);
    return { status: await status() };
  };
  return {
    check: (req) => check(req.service),
    async list() {
      const s = await status();
      return { statuses: Object.fromEntries([...known].map((n) => [n, { status: s }])) };
    },
    async *watch(req, ctx) {
      let last = (await check(req.service)).status;
      yield { status: last };
      // The status changes when the database goes away or comes back (and when the process goes
      // away): wait for those events instead of polling, and send only real changes.
      let wake: (() => void) | undefined;
      let changed = false;
      const off = app.db.health.onChange(() => {
        changed = true;
        wake?.();
      });
      const onAbort = () => wake?.();
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      try {
        while (!ctx.signal.aborted) {
          if (!changed) await new Promise<void>((r) => (wake = r));
          wake = undefined;
          if (ctx.signal.aborted) break;
          changed = false;
          const next = await status();
          if (next !== last) yield { status: (last = next) };
        }
      } finally {
        off();
        ctx.signal.removeEventListener("abort", onAbort);
      }
    },
  };
}
