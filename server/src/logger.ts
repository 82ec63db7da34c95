import { pino, type Logger } from "pino";

export type { Logger };

/** JSON logs for machines; readable enough on a TTY without a pretty-printer dependency. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "flightcontrol-server" },
    redact: { paths: ["*.env", "*.authorization", "*.key", "*.masterKey"], censor: "***" },
  });
}
