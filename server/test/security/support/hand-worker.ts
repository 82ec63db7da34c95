import { randomUUID } from "node:crypto";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  ConnectRequestSchema,
  WorkerService,
  type Assign,
  type ConnectRequest,
  type ConnectResponse,
  type HelloSchema,
} from "../../../src/gen/flightcontrol/v1/worker_pb";
import { bearer } from "../../support/clients";
import { WORKER_KEY } from "../../support/server";

export type RequestInit = MessageInitShape<typeof ConnectRequestSchema>["message"];
export type HelloInit = MessageInitShape<typeof HelloSchema>;
type Msg = ConnectResponse["message"];
type Kind = NonNullable<Msg["case"]>;
type ValueOf<C extends Kind> = Extract<Msg, { case: C }>["value"];
/** The Hello fields a test may set. */
export interface HelloFields {
  hostname?: string;
  labels?: Record<string, string>;
  capacity?: number;
  agents?: string[];
  version?: string;
  instanceId?: string;
  name?: string;
  activeRuns?: Array<{ runId: string; attempt: number; lastSeq: bigint }>;
}

/**
 * A worker session spoken by hand over WorkerService.Connect (gRPC, HTTP/2): the test decides every
 * message, so it can say things a real worker never would.
 */
export interface HandWorker {
  send(m: RequestInit): void;
  /** Every message the server sent so far. */
  received: ConnectResponse[];
  /** Waits for the first received message (past or future) that matches. */
  next<C extends Kind>(kind: C, match?: (v: ValueOf<C>) => boolean, timeoutMs?: number): Promise<ValueOf<C>>;
  /** Resolves when the server ends the stream: undefined for a clean end, else the error. */
  ended: Promise<ConnectError | undefined>;
  workerId(): Promise<string>;
  /** Closes the request side and waits for the stream to end. */
  close(): Promise<void>;
}

export function hello(name: string, over: HelloFields = {}): HelloInit {
  return { name, hostname: "test-host", capacity: 1, agents: ["shell"], version: "test", instanceId: randomUUID(), ...over };
}

/**
 * Opens a session. `first` is the first message (normally Hello); pass `null` to send nothing yet.
 * With `heartbeat`, it heartbeats at the interval the Welcome asks for, like a real worker, so a
 * long test does not see it declared lost.
 */
export function handWorker(baseUrl: string, first: RequestInit | null, key = WORKER_KEY, opts: { heartbeat?: boolean } = {}): HandWorker {
  const queue: ConnectRequest[] = [];
  let wakeSender: (() => void) | undefined;
  let closed = false;
  const requests: AsyncIterable<ConnectRequest> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length) {
          yield queue.shift()!;
          continue;
        }
        if (closed) return;
        await new Promise<void>((r) => (wakeSender = r));
      }
    },
  };
  const send = (m: RequestInit) => {
    queue.push(create(ConnectRequestSchema, { message: m }));
    const w = wakeSender;
    wakeSender = undefined;
    w?.();
  };
  if (first) send(first);

  const received: ConnectResponse[] = [];
  const waiters = new Set<() => void>();
  const abort = new AbortController();
  const transport = createGrpcTransport({ baseUrl, interceptors: [bearer(key)] });
  const client = createClient(WorkerService, transport);
  let isEnded = false;
  let beat: NodeJS.Timeout | undefined;
  const ended = (async () => {
    try {
      for await (const res of client.connect(requests, { signal: abort.signal })) {
        if (opts.heartbeat && res.message.case === "welcome" && !beat) {
          beat = setInterval(() => send({ case: "heartbeat", value: {} }), res.message.value.heartbeatIntervalMs || 1000);
        }
        received.push(res);
        waiters.forEach((w) => w());
      }
      return undefined;
    } catch (err) {
      return ConnectError.from(err);
    } finally {
      clearInterval(beat);
      isEnded = true;
      waiters.forEach((w) => w());
    }
  })();

  const worker: HandWorker = {
    send,
    received,
    ended,
    next: ((kind: Kind, match: (v: unknown) => boolean = () => true, timeoutMs = 10_000): Promise<unknown> => {
      const find = (): unknown => received.find((r) => r.message.case === kind && match(r.message.value))?.message.value;
      return new Promise<unknown>((resolve, reject) => {
        const check = () => {
          const v = find();
          if (v !== undefined) {
            cleanup();
            resolve(v);
          } else if (isEnded) {
            cleanup();
            void ended.then((e) => reject(new Error(`stream ended before a ${kind} message arrived: ${e?.message ?? "clean end"}`)));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${kind} message within ${timeoutMs} ms; got ${received.map((r) => r.message.case).join(",")}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    }) as HandWorker["next"],
    async workerId() {
      return (await worker.next("welcome")).workerId;
    },
    async close() {
      clearInterval(beat);
      closed = true;
      wakeSender?.();
      const timer = setTimeout(() => abort.abort(), 3000);
      await ended;
      clearTimeout(timer);
    },
  };
  return worker;
}

/** Waits for the Assign of a given run. */
export const assignOf = (w: HandWorker, runId: string, timeoutMs?: number): Promise<Assign> => w.next("assign", (a) => a.runId === runId, timeoutMs);
