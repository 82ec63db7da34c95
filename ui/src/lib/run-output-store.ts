import type { RunOutput } from "../gen/flightcontrol/v1/run_pb";
import { outputToEntries, type AgentEventEntry, type LogEntry } from "./run-output";
import { tsToMs } from "./format";

/**
 * Append-only buffer of a run's output. Arrays are mutated in place and a version number
 * tells React something changed: copying 100,000 lines on every batch would not be smooth.
 */
export class RunOutputStore {
  readonly lines: LogEntry[] = [];
  readonly events: AgentEventEntry[] = [];
  lastSeq = 0n;
  version = 0;

  /** Adds items past `lastSeq`; returns whether anything was new. */
  append(items: readonly RunOutput[]): boolean {
    let changed = false;
    for (const item of items) {
      // Seqs only grow; a replay after reconnect may overlap what we already hold.
      if (item.seq <= this.lastSeq) continue;
      this.lastSeq = item.seq;
      changed = true;
      for (const e of outputToEntries(item)) this.lines.push(e);
      if (item.payload.case === "event") {
        this.events.push({
          seq: Number(item.seq),
          timeMs: tsToMs(item.time),
          event: item.payload.value,
        });
      }
    }
    if (changed) this.version++;
    return changed;
  }
}
