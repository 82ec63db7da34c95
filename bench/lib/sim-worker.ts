import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { randomUUID } from "node:crypto";
import { LogStream, RunStatus, type RunOutput, type RunOutputSchema } from "../../server/src/gen/flightcontrol/v1/run_pb";
import type { Assign, ConnectRequest, ConnectResponse, LogAck, Welcome } from "../../server/src/gen/flightcontrol/v1/worker_pb";
import { createSendQueue } from "../../shared-src/send-queue";
import { bearer } from "../../testkit/clients";
import { openWorkerSession, type RequestInit, type WorkerSession } from "../../testkit/worker-session";
import { now } from "./util";

export { bearer };
export { request } from "../../testkit/worker-session";

/** One HTTP/2 connection (connect-node gRPC transport) that can be closed explicitly. */
export interface Connection {
  transport: Transport;
  close(): void;
}

export function connection(baseUrl: string, key: string): Connection {
  const sessionManager = new Http2SessionManager(baseUrl, { pingIntervalMs: 60_000, pingTimeoutMs: 30_000 });
  const transport = createGrpcTransport({ baseUrl, sessionManager, interceptors: [bearer(key)] });
  return { transport, close: () => sessionManager.abort() };
}

/** A worker's request stream: what it has yet to send, in order. */
export const requestQueue = () => createSendQueue<ConnectRequest>();

export interface SimWorkerOptions {
  name: string;
  capacity: number;
  labels?: Record<string, string>;
  /**
   * What to do with an Assign. "instant": RunStarted, then (systemLines > 0) one LogBatch of that many
   * system lines like the real worker's "Run started…"/"Run succeeded…", then RunFinished — all at once,
   * so the slot frees after one round trip. "manual": only onAssign is called.
   */
  mode?: "instant" | "manual";
  systemLines?: number;
  onAssign?(a: Assign, receivedAt: number, w: SimWorker): void;
  onAck?(ack: LogAck, receivedAt: number, w: SimWorker): void;
}

/**
 * A lightweight worker that speaks the real protocol (the test kit's worker session over connect-node's
 * gRPC transport) but runs no agent, so its timings are the server's and the transport's alone.
 */
export class SimWorker {
  readonly instanceId = randomUUID();
  private session?: WorkerSession;
  private killed = false;
  welcome!: Promise<Welcome>;
  workerId = "";
  assigns = 0;
  finishedAcks = 0;
  error?: Error;
  /** Resolves when the response stream ends (normally or not). */
  ended!: Promise<void>;

  constructor(
    private readonly transport: Transport,
    readonly opts: SimWorkerOptions,
  ) {}

  send(m: RequestInit): boolean {
    return this.session?.send(m) ?? false;
  }

  heartbeat() {
    return this.send({ case: "heartbeat", value: { draining: false } });
  }

  /** Opens the session (Hello) and resolves once Welcome arrives (fails after timeoutMs). */
  start(timeoutMs = 30_000): Promise<Welcome> {
    const o = this.opts;
    let welcomed!: (w: Welcome) => void;
    let failed!: (e: Error) => void;
    this.welcome = new Promise<Welcome>((res, rej) => {
      welcomed = res;
      failed = rej;
    });
    const timer = setTimeout(() => failed(new Error(`${o.name}: no Welcome within ${timeoutMs} ms`)), timeoutMs);
    // Not recorded: under load nobody reads old messages, and keeping them would skew the bench's memory.
    this.session = openWorkerSession(
      this.transport,
      {
        case: "hello",
        value: {
          name: o.name,
          hostname: "bench",
          labels: o.labels ?? {},
          capacity: o.capacity,
          agents: ["shell"],
          version: "bench",
          instanceId: this.instanceId,
          activeRuns: [],
        },
      },
      { record: false, onMessage: (res) => this.onMessage(res, welcomed) },
    );
    this.ended = this.session.ended.then((err) => {
      if (err && !this.killed) this.error = err;
      failed(err ?? new Error(`${o.name}: stream ended before Welcome`));
    });
    return this.welcome.finally(() => clearTimeout(timer));
  }
  private onMessage(res: ConnectResponse, welcomed: (w: Welcome) => void) {
    const t = now();
    const m = res.message;
    switch (m.case) {
      case "welcome":
        this.workerId = m.value.workerId;
        welcomed(m.value);
        return;
      case "assign": {
        this.assigns++;
        this.opts.onAssign?.(m.value, t, this);
        if ((this.opts.mode ?? "instant") === "instant") this.completeInstantly(m.value);
        return;
      }
      case "logAck":
        if (m.value.finished) this.finishedAcks++;
        this.opts.onAck?.(m.value, t, this);
        return;
      default:
        return;
    }
  }

  private completeInstantly(a: Assign) {
    const { runId, attempt } = a;
    this.send({ case: "runStarted", value: { runId, attempt } });
    let last = a.firstSeq - 1n;
    const n = this.opts.systemLines ?? 0;
    if (n > 0) {
      const items: MessageInitShape<typeof RunOutputSchema>[] = [];
      for (let i = 0; i < n; i++) {
        items.push({
          seq: a.firstSeq + BigInt(i),
          time: timestampFromMs(Date.now()),
          payload: {
            case: "log",
            value: {
              stream: LogStream.SYSTEM,
              text: i === 0 ? `Run started on worker ${this.opts.name} (attempt ${attempt}, agent shell)` : "Run succeeded (exit code 0)",
            },
          },
        });
      }
      last = a.firstSeq + BigInt(n - 1);
      this.send({ case: "logBatch", value: { runId, attempt, items: items as RunOutput[] } });
    }
    this.finish(runId, attempt, last);
  }

  finish(runId: string, attempt: number, lastSeq: bigint) {
    this.send({ case: "runFinished", value: { runId, attempt, status: RunStatus.SUCCEEDED, exitCode: 0, lastSeq } });
  }

  /** Ends the session from the worker's side (half-close), then waits briefly for the server to close. */
  async close(timeoutMs = 5000) {
    await this.session?.close(timeoutMs);
    await this.ended;
  }

  /** Drops the stream at once. */
  kill() {
    this.killed = true;
    this.session?.kill();
  }
}
