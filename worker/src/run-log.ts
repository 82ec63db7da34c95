import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { appendFileSync, closeSync, openSync, readSync, rmSync } from "node:fs";
import { join } from "node:path";
import { LogBatchSchema, type LogBatch } from "./gen/flightcontrol/v1/worker_pb";
import { RunOutputSchema, type AgentEvent, type RunOutput } from "./gen/flightcontrol/v1/run_pb";

type Payload = NonNullable<MessageInitShape<typeof RunOutputSchema>["payload"]>;

export interface StreamerOptions {
  flushBytes: number;
  flushIntervalMs: number;
  /** Unacknowledged bytes kept in memory across all runs; beyond it batches spill to disk. */
  maxBufferedBytes: number;
  spillDir: string;
  /** Sends a batch if connected; returns false when there is no stream right now. */
  send(batch: LogBatch): boolean;
  /** Seq of the next heartbeat to be sent: a batch sent now goes out before it. */
  nextBeat(): bigint;
}

interface Pending {
  lastSeq: bigint;
  bytes: number;
  /** The heartbeat that followed the batch's latest sending: once that heartbeat is acknowledged without the batch, it is overdue. */
  beat: bigint;
  /** In memory, or spilled to the run's file at [offset, offset+length). */
  batch?: LogBatch;
  spill?: { offset: number; length: number };
}

/**
 * One run's output on its way to the server (the Buildkite "log streamer" role). Items get
 * consecutive seqs, are batched at flushBytes or flushIntervalMs, and every batch is kept until the
 * server acknowledges it, so a reconnect resends exactly what may be missing.
 *
 * The server handles a session's messages in order, so a heartbeat acknowledged while a batch sent
 * before it is not means the server could not store that batch (its database was down): the batch
 * is resent then. Only the oldest goes out on each heartbeat while that keeps happening (one probe
 * per heartbeat interval, not a flood at a failing server); once it is acknowledged, the rest that
 * were overdue follow at once.
 */
export function createRunLog(runId: string, attempt: number, firstSeq: bigint, opts: StreamerOptions, budget: { used: number }) {
  let nextSeq = firstSeq;
  let current: RunOutput[] = [];
  let currentBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  const pending: Pending[] = [];
  const spillPath = join(opts.spillDir, `${runId}.spill`);
  let spillSize = 0;
  /** The newest heartbeat the server acknowledged. */
  let ackedBeat = 0n;

  const sendPending = (p: Pending) => {
    p.beat = opts.nextBeat();
    return opts.send(load(p));
  };

  function append(payload: Payload, bytes: number) {
    const item = create(RunOutputSchema, { seq: nextSeq++, time: timestampNow(), payload });
    current.push(item);
    currentBytes += bytes;
    if (currentBytes >= opts.flushBytes) flush();
    else if (!timer) timer = setTimeout(flush, opts.flushIntervalMs);
  }

  function flush() {
    clearTimeout(timer);
    timer = undefined;
    if (!current.length) return;
    const batch = create(LogBatchSchema, { runId, attempt, items: current });
    const entry: Pending = { lastSeq: current[current.length - 1].seq, bytes: currentBytes, batch, beat: opts.nextBeat() };
    current = [];
    currentBytes = 0;
    pending.push(entry);
    budget.used += entry.bytes;
    if (budget.used > opts.maxBufferedBytes) spillOldest();
    opts.send(batch);
  }

  function spillOldest() {
    for (const p of pending) {
      if (budget.used <= opts.maxBufferedBytes / 2) break;
      if (!p.batch) continue;
      const bin = toBinary(LogBatchSchema, p.batch);
      appendFileSync(spillPath, bin);
      p.spill = { offset: spillSize, length: bin.length };
      spillSize += bin.length;
      p.batch = undefined;
      budget.used -= p.bytes;
    }
  }

  function load(p: Pending): LogBatch {
    if (p.batch) return p.batch;
    const fd = openSync(spillPath, "r");
    try {
      const buf = Buffer.alloc(p.spill!.length);
      readSync(fd, buf, 0, buf.length, p.spill!.offset);
      return fromBinary(LogBatchSchema, buf);
    } finally {
      closeSync(fd);
    }
  }

  return {
    runId,
    attempt,
    log: (stream: number, text: string) => append({ case: "log", value: { stream, text } }, text.length + 16),
    // Events are small and rare next to log lines; a flat estimate keeps sizing cheap.
    event: (value: AgentEvent) => append({ case: "event", value }, 256),
    flush,
    /** Seq of the last item produced so far. */
    get lastSeq() {
      return nextSeq - 1n;
    },
    /** True once the server has stored every item produced. */
    get drained() {
      return !pending.length && !current.length;
    },
    ack(seq: bigint) {
      let progressed = false;
      while (pending.length && pending[0].lastSeq <= seq) {
        const p = pending.shift()!;
        if (p.batch) budget.used -= p.bytes;
        progressed = true;
      }
      // The server stores again: what was overdue behind the acknowledged batch follows now, in order.
      if (progressed) for (const p of pending) if (p.beat > ackedBeat || !sendPending(p)) break;
    },
    /** Heartbeat `beat` was acknowledged: resend the oldest batch if it went out before that heartbeat. */
    heartbeatAcked(beat: bigint) {
      if (beat > ackedBeat) ackedBeat = beat;
      if (pending.length && pending[0].beat <= beat) sendPending(pending[0]);
    },
    /** After a reconnect: send everything not yet acknowledged, oldest first. */
    resend() {
      for (const p of pending) if (!sendPending(p)) return;
    },
    dispose() {
      clearTimeout(timer);
      for (const p of pending) if (p.batch) budget.used -= p.bytes;
      pending.length = 0;
      if (spillSize) rmSync(spillPath, { force: true });
    },
  };
}

export type RunLog = ReturnType<typeof createRunLog>;
