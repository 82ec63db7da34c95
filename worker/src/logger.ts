import { pino, stdTimeFunctions, type Logger } from "pino";

export type { Logger };

/**
 * Lines other programs may wait for carry `"event": <one of these>` (README, "Worker log events").
 * Match on the field, never on the message text: messages are for people and may be reworded.
 */
export const WorkerEvent = {
  /** Signal handlers are in place: from now on SIGTERM drains the worker instead of ending it at once. */
  started: "worker.started",
  /** The server welcomed this worker (once per connection). */
  connected: "worker.connected",
  /** Draining finished; the process exits 0 right after. */
  drained: "worker.drained",
} as const;

/**
 * JSON logs for machines, pino-pretty when a person watches a terminal: the same as the server's
 * (server/src/logger.ts), so one formatter reads both. Times are ISO strings, as the worker's lines
 * always had, so what parses them (the fault suite, log shippers) keeps working.
 */
export function createWorkerLogger(name: string, level: string): Logger {
  const pretty = process.stdout.isTTY && process.env.ORCH_LOG_FORMAT !== "json";
  return pino({
    level,
    base: { service: "flightcontrol-worker", worker: name },
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: ["*.env", "*.authorization", "*.apiKey"], censor: "***" },
    transport: pretty ? { target: "pino-pretty", options: { translateTime: "HH:MM:ss.l", ignore: "pid,hostname,service,worker" } } : undefined,
  });
}
