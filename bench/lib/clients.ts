import { createClient, type Client } from "@connectrpc/connect";
import { RunService } from "../../server/src/gen/flightcontrol/v1/run_pb";
import type { Assign } from "../../server/src/gen/flightcontrol/v1/worker_pb";
import { ADMIN_KEY } from "./server";
import { connection, type Connection } from "./sim-worker";
import { now, Samples, sleep, waitUntil } from "./util";

export interface ApiClient {
  runs: Client<typeof RunService>;
  conn: Connection;
}

/** An admin client over gRPC (HTTP/2), as a script or the CLI would call the API. */
export function apiClient(url: string): ApiClient {
  const conn = connection(url, ADMIN_KEY);
  return { runs: createClient(RunService, conn.transport), conn };
}

/**
 * Correlates CreateRun calls with the Assign each produces. A run's name is "<phase>:<i>" and Assign
 * carries it back as job_name, so the Assign can be matched even before CreateRun's response arrives.
 */
export class DispatchRecorder {
  phase = "";
  sent = new Float64Array(0);
  assigned = new Float64Array(0);
  assignedCount = 0;

  begin(phase: string, n: number) {
    this.phase = phase;
    this.sent = new Float64Array(n).fill(NaN);
    this.assigned = new Float64Array(n).fill(NaN);
    this.assignedCount = 0;
  }

  onAssign = (a: Assign, at: number) => {
    const colon = a.jobName.lastIndexOf(":");
    if (a.jobName.slice(0, colon) !== this.phase) return;
    const i = Number(a.jobName.slice(colon + 1));
    if (Number.isNaN(this.assigned[i])) {
      this.assigned[i] = at;
      this.assignedCount++;
    }
  };

  latencies(): Samples {
    const s = new Samples(this.sent.length);
    for (let i = 0; i < this.sent.length; i++) {
      if (!Number.isNaN(this.sent[i]) && !Number.isNaN(this.assigned[i])) s.push(this.assigned[i] - this.sent[i]);
    }
    return s;
  }
}

export const TRIVIAL_SPEC = { prompt: "true", agent: "shell" } as const;

export interface OfferResult {
  sent: number;
  /** Achieved send rate over the sending window, runs/s. */
  sentRate: number;
  errors: number;
  firstError?: string;
  createRtt: Samples;
  sendWindowMs: number;
}

/**
 * Open-loop load: CreateRun number i is issued at start + i/rate whether or not earlier calls have
 * returned (bounded by maxInFlight), like independent clients would. Late ticks catch up, so the
 * average rate holds even though timers have ~1 ms granularity.
 */
export async function offer(api: ApiClient, rec: DispatchRecorder, phase: string, rate: number, n: number, maxInFlight = 2000): Promise<OfferResult> {
  rec.begin(phase, n);
  const interval = 1000 / rate;
  const createRtt = new Samples(n);
  let inflight = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = now() + 2;
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const wait = start + i * interval - now();
    if (wait >= 1) await sleep(wait);
    if (inflight >= maxInFlight) await waitUntil(() => inflight < maxInFlight, 30_000, "CreateRun calls to return", 1);
    const t0 = now();
    rec.sent[i] = t0;
    inflight++;
    pending.push(
      api.runs
        .createRun({ spec: TRIVIAL_SPEC, name: `${phase}:${i}` }, { timeoutMs: 60_000 })
        .then(
          () => createRtt.push(now() - t0),
          (err: Error) => {
            errors++;
            firstError ??= err.message;
            rec.sent[i] = NaN;
          },
        )
        .finally(() => inflight--),
    );
  }
  const sendWindowMs = now() - start;
  await Promise.all(pending);
  return { sent: n, sentRate: (n / (sendWindowMs + interval)) * 1000, errors, firstError, createRtt, sendWindowMs };
}
