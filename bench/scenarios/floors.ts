import Database from "better-sqlite3";
import { createClient } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { WorkerService, type ConnectResponse } from "../../server/src/gen/flightcontrol/v1/worker_pb";
import { pollUntil } from "../../testkit/poll-until";
import { REPO, removeDir, startChild, tempDir } from "../lib/procs";
import { connection, request, requestQueue } from "../lib/sim-worker";
import { logLine, now, round, Samples, sleep, type Summary } from "../lib/util";
import { roundSummary } from "./dispatch";

export interface EchoFloor {
  /** Back-to-back round trips: send one message, wait for its answer, repeat. */
  backToBackMs: Summary;
  /** One round trip every 100 ms (10/s), like the lowest dispatch rate. */
  pacedMs: Summary;
}

/** A bare connect-node bidi echo round trip between two processes on this machine. */
export async function echoFloor(opts: { n: number; paced: number }): Promise<EchoFloor> {
  const proc = startChild(process.execPath, ["--import", "tsx", join(REPO, "bench/echo-server.ts")], {
    name: "echo",
    cwd: REPO,
    env: { ...process.env, NODE_ENV: "production" },
  });
  try {
    const port = await pollUntil(
      () => {
        if (proc.child.exitCode !== null) throw new Error(`echo server did not start:\n${proc.output()}`);
        return Number(/PORT (\d+)/.exec(proc.output())?.[1] ?? 0);
      },
      { timeoutMs: 30_000, intervalMs: 20, what: "the echo server to print its port" },
    );
    const conn = connection(`http://127.0.0.1:${port}`, "none");
    const client = createClient(WorkerService, conn.transport);
    const out = requestQueue();
    const responses = client.connect(out)[Symbol.asyncIterator]();
    const runId = randomUUID();
    const rtt = async (): Promise<number> => {
      const t0 = now();
      out.push(request({ case: "runStarted", value: { runId, attempt: 1 } }));
      const r: IteratorResult<ConnectResponse> = await responses.next();
      if (r.done) throw new Error("echo stream ended");
      return now() - t0;
    };
    for (let i = 0; i < 300; i++) await rtt(); // warm-up
    const b2b = new Samples(opts.n);
    for (let i = 0; i < opts.n; i++) b2b.push(await rtt());
    const paced = new Samples(opts.paced);
    for (let i = 0; i < opts.paced; i++) {
      await sleep(100);
      paced.push(await rtt());
    }
    out.close();
    await responses.next().catch(() => undefined);
    conn.close();
    return { backToBackMs: roundSummary(b2b.summary()), pacedMs: roundSummary(paced.summary()) };
  } finally {
    await proc.stop("SIGTERM", 5000);
  }
}

export interface SqliteFloor {
  rows: number;
  rowsPerBatch: number;
  /** One prepared single-row INSERT OR IGNORE per row, one transaction per batch. */
  singleRowLinesPerSec: number;
  /** The server's statement shape: 200-row multi-VALUES INSERT OR IGNORE, plus the per-batch UPDATE of last_seq. */
  serverShapeLinesPerSec: number;
}

/**
 * A bare batched insert of the same log rows the log pipeline stored (same table DDL, read from the
 * server's database, same pragmas, same row sizes and batch sizes), with better-sqlite3 directly.
 */
export function sqliteFloor(opts: { ddl: string; runs: number; linesPerRun: number; rowsPerBatch: number }): SqliteFloor {
  const dir = tempDir("fc-bench-sqlite-");
  try {
    const measure = (variant: "single" | "server"): number => {
      const db = new Database(join(dir, `${variant}.db`));
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.exec(opts.ddl);
      db.exec("CREATE TABLE job_runs (id varchar(36) PRIMARY KEY NOT NULL, last_seq bigint NOT NULL)");
      const runIds = Array.from({ length: opts.runs }, () => randomUUID());
      const ins = db.prepare("INSERT OR IGNORE INTO job_logs (run_id, seq, time, stream, text) VALUES (?, ?, ?, ?, ?)");
      for (const id of runIds) db.prepare("INSERT INTO job_runs (id, last_seq) VALUES (?, 0)").run(id);
      const upd = db.prepare("UPDATE job_runs SET last_seq = ? WHERE id = ? AND last_seq < ?");
      const chunk = 200;
      const multi = db.prepare(
        `INSERT OR IGNORE INTO job_logs (run_id, seq, time, stream, text) VALUES ${Array(chunk).fill("(?, ?, ?, ?, ?)").join(", ")}`,
      );
      const multiStmts = new Map<number, ReturnType<typeof db.prepare>>();
      const multiFor = (n: number) => {
        if (n === chunk) return multi;
        let s = multiStmts.get(n);
        if (!s)
          multiStmts.set(
            n,
            (s = db.prepare(
              `INSERT OR IGNORE INTO job_logs (run_id, seq, time, stream, text) VALUES ${Array(n).fill("(?, ?, ?, ?, ?)").join(", ")}`,
            )),
          );
        return s;
      };
      const single = db.transaction((runId: string, from: number, to: number, t: number) => {
        for (let seq = from; seq <= to; seq++) ins.run(runId, seq, t, 1, logLine(t, 0, seq));
      });
      const serverShape = db.transaction((runId: string, from: number, to: number, t: number) => {
        const rows: unknown[][] = [];
        for (let seq = from; seq <= to; seq++) rows.push([runId, seq, t, 1, logLine(t, 0, seq)]);
        for (let i = 0; i < rows.length; i += chunk) {
          const part = rows.slice(i, i + chunk);
          multiFor(part.length).run(...part.flat());
        }
        upd.run(to, runId, to);
      });
      const fn = variant === "single" ? single : serverShape;
      const t0 = now();
      const next = new Array(opts.runs).fill(1);
      let left = opts.runs * opts.linesPerRun;
      while (left > 0) {
        for (let r = 0; r < opts.runs; r++) {
          if (next[r] > opts.linesPerRun) continue;
          const to = Math.min(opts.linesPerRun, next[r] + opts.rowsPerBatch - 1);
          fn(runIds[r], next[r], to, Date.now());
          left -= to - next[r] + 1;
          next[r] = to + 1;
        }
      }
      const ms = now() - t0;
      const count = (db.prepare("SELECT COUNT(*) AS n FROM job_logs").get() as { n: number }).n;
      db.close();
      if (count !== opts.runs * opts.linesPerRun) throw new Error(`sqlite floor stored ${count} rows`);
      return (count / ms) * 1000;
    };
    return {
      rows: opts.runs * opts.linesPerRun,
      rowsPerBatch: opts.rowsPerBatch,
      singleRowLinesPerSec: round(measure("single"), 0),
      serverShapeLinesPerSec: round(measure("server"), 0),
    };
  } finally {
    removeDir(dir);
  }
}
