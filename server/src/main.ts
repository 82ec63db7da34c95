import { loadServerConfig } from "./config";
import { startServer } from "./app";
import { createLogger } from "./logger";

const config = loadServerConfig();
const log = createLogger(config.logLevel);
const server = await startServer(config, log);

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
    server.close().then(() => process.exit(0), (err) => {
      log.error({ err }, "shutdown failed");
      process.exit(1);
    });
  });
}
