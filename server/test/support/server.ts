import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { startServer, type RunningServer } from "../../src/app";
import { loadServerConfig, type ServerConfig } from "../../src/config";

export const ADMIN_KEY = "fc_test_admin_key_0123456789abcdef";
export const WORKER_KEY = "fc_test_worker_key_0123456789abcdef";

export interface TestServer extends RunningServer {
  dataDir: string;
  config: ServerConfig;
  /** Stops the server; the data directory survives until cleanup(). */
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

/** The real server on an ephemeral 127.0.0.1 port with a temp SQLite file. */
export async function startTestServer(overrides: Partial<ServerConfig> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "fc-test-"));
  const config: ServerConfig = {
    ...loadServerConfig({}),
    port: 0,
    host: "127.0.0.1",
    dataDir: dir,
    databaseUrl: `sqlite:${join(dir, "fc.db")}`,
    defaultAdminKey: ADMIN_KEY,
    workerKey: WORKER_KEY,
    uiDir: join(dir, "no-ui"),
    logLevel: process.env.ORCH_TEST_LOG ?? "silent",
    ...overrides,
  };
  const server = await startServer(config, pino({ level: config.logLevel }));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    ...server,
    dataDir: dir,
    config,
    stop,
    async cleanup() {
      await stop();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
