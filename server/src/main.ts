import { loadServerConfig } from "./config";
import { startServer } from "./app";
import { createLogger } from "./logger";

const config = loadServerConfig();
const log = createLogger(config.logLevel);
const server = await startServer(config, log);

/*
 * Last-resort handlers, two different decisions:
 * - An unhandled rejection is a promise nobody awaited (a background task that should have gone
 *   through inBackground). The code that started it has moved on with its own state intact; only
 *   that task's result is lost. Node's default would kill the control plane, every worker session
 *   and live stream with it, e.g. for one failed write during a database outage: log it as the bug
 *   it is, count it (flightcontrol_unhandled_rejections_total) and stay up.
 * - An uncaught exception unwound the stack through code that did not expect it, possibly halfway
 *   through changing in-memory state (registry, leases, a transaction's nesting depth). Carrying on
 *   could serve from that state, so log it and exit non-zero for the supervisor (systemd, Docker's
 *   restart policy, Kubernetes) to restart the server; workers reconnect and keep their runs.
 */
process.on("unhandledRejection", (reason) => {
  server.app.metrics.unhandledRejections.inc();
  log.error({ err: reason }, "unhandled promise rejection; the server stays up, but this is a bug: background work must go through inBackground");
});
process.on("uncaughtException", (err, origin) => {
  log.fatal({ err, origin }, "uncaught exception; exiting so the supervisor restarts the server");
  process.exit(1);
});

// Printed on stdout, not only in the JSON log, so a person starting the server can copy them.
if (server.adminKey && !config.defaultAdminKey) console.log(`Admin API key (shown once): ${server.adminKey}`);
if (server.workerKey && !config.workerKey) console.log(`Worker API key (shown once): ${server.workerKey}`);
console.log(`Flight Control is listening on http://localhost:${server.port}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
