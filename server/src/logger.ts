import { pino, type Logger } from "pino";

export type { Logger };

/** JSON logs for machines; pino-pretty when a person watches a terminal. */
export function createLogger(level: string): Logger {
  const pretty = process.stdout.isTTY && process.env.ORCH_LOG_FORMAT !== "json";
  return pino({
    level,
    base: { service: "flightcontrol-server" },
    redact: { paths: ["*.env", "*.authorization", "*.key", "*.masterKey"], censor: "***" },
    transport: pretty ? { target: "pino-pretty", options: { translateTime: "HH:MM:ss.l", ignore: "pid,hostname,service" } } : undefined,
  });
}
