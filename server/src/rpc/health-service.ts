import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb";
import type { AppContext } from "../context";

/**
 * Serving means the database answers and the scheduler is running without failures; "" is the
 * whole server, and each of our services has the same status.
 */
export function healthService(app: AppContext, serviceNames: string[]): ServiceImpl<typeof Health> {
  const known = new Set(["", ...serviceNames]);
  const status = async () => {
    try {
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
      yield await check(req.service);
      // Status only changes when the process is going away; hold the stream open until the client leaves.
      await new Promise<void>((r) => ctx.signal.addEventListener("abort", () => r(), { once: true }));
    },
  };
}
