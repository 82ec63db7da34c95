import { join } from "node:path";
import { pino } from "pino";
import { startServer, type RunningServer } from "../server/src/app";
import { loadServerConfig, type ServerConfig } from "../server/src/config";
import { ADMIN_KEY, WORKER_KEY } from "./keys";
import { removeDir, tempDir } from "./temp-dir";

export interface TestServer extends RunningServer {
  dataDir: string;
  config: ServerConfig;
  /** Stops the server; the data directory survives until cleanup(). */
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

/** The real server in this process, on an ephemeral 127.0.0.1 port with a temp SQLite file (server tests only). */
export async function startTestServer(overrides: Partial<ServerConfig> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? tempDir("fc-test-");
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
      if (!dataDir) removeDir(dir);
    },
  };
}
