import { EventEmitter } from "node:events";
import type { RunOutput } from "../gen/flightcontrol/v1/run_pb";
import type { RunStatusColumn } from "../storage/entities";

/**
 * In-process notifications that drive live streams and dispatch: a run's row changed, a run got
 * output, a worker's state changed. Listeners read what they need; the emitter carries ids only
 * (plus output items, which are already in memory and must not be re-read from the database).
 */
export interface Events {
  runChanged(runId: string, status: RunStatusColumn): void;
  runOutput(runId: string, items: RunOutput[]): void;
  workerChanged(workerId: string): void;
}

export type EventBus = {
  emit<K extends keyof Events>(name: K, ...args: Parameters<Events[K]>): void;
  on<K extends keyof Events>(name: K, fn: Events[K]): () => void;
};

export function createEventBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    emit: (name, ...args) => void emitter.emit(name, ...args),
    on: (name, fn) => {
      emitter.on(name, fn as (...a: unknown[]) => void);
      return () => void emitter.off(name, fn as (...a: unknown[]) => void);
    },
  };
}
