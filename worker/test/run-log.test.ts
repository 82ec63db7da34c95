import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { LogBatch } from "../src/gen/flightcontrol/v1/worker_pb";
import { createRunLog } from "../src/run-log";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A run log whose batches are flushed by hand; `beat` is the seq the next heartbeat will carry. */
function runLog() {
  const spillDir = mkdtempSync(join(tmpdir(), "fc-streamer-"));
  dirs.push(spillDir);
  const sent: string[] = [];
  const state = { beat: 1n };
  const log = createRunLog(
    "r1",
    1,
    1n,
    {
      flushBytes: 1 << 20,
      flushIntervalMs: 60_000,
      maxBufferedBytes: 1 << 20,
      spillDir,
      send: (b: LogBatch) => {
        sent.push(`${b.items[0].seq}-${b.items.at(-1)!.seq}`);
        return true;
      },
      nextBeat: () => state.beat,
    },
    { used: 0 },
  );
  const batch = (lines: number) => {
    for (let i = 0; i < lines; i++) log.log(1, "x");
    log.flush();
  };
  /** A heartbeat goes out after everything sent so far. */
  const heartbeat = () => state.beat++;
  return { log, sent, batch, heartbeat };
}

describe("run log resends what the server could not store", () => {
  it("sends nothing twice while acknowledgements keep up", () => {
    const w = runLog();
    w.batch(2);
    w.log.ack(2n);
    const beat = w.heartbeat();
    w.batch(2);
    w.log.heartbeatAcked(beat);
    expect(w.sent).toEqual(["1-2", "3-4"]);
  });

  it("a heartbeat acknowledged without the batches sent before it resends the oldest, and its ack brings the rest", () => {
    const w = runLog();
    w.batch(2); // 1-2: stored
    w.log.ack(2n);
    w.batch(2); // 3-4 and 5-6: the database was down
    w.batch(2);
    const beat = w.heartbeat();
    w.batch(2); // 7-8: sent after that heartbeat, still in flight
    w.log.heartbeatAcked(beat);
    expect(w.sent.slice(4)).toEqual(["3-4"]);
    // Still failing: one probe per heartbeat, not the whole backlog.
    const next = w.heartbeat();
    w.log.heartbeatAcked(next);
    expect(w.sent.slice(5)).toEqual(["3-4"]);
    w.batch(2); // 9-10: in flight
    // The probe is stored: what was overdue follows at once (7-8 too: heartbeat `next` went out after it), not what is in flight.
    w.log.ack(4n);
    expect(w.sent.slice(6)).toEqual(["9-10", "5-6", "7-8"]);
    w.log.ack(10n);
    expect(w.log.drained).toBe(true);
  });

  it("after a reconnect resends everything unacknowledged, oldest first", () => {
    const w = runLog();
    w.batch(1);
    w.batch(1);
    w.log.resend();
    expect(w.sent).toEqual(["1-1", "2-2", "1-1", "2-2"]);
  });
});
