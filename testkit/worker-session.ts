import { randomUUID } from "node:crypto";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createSendQueue } from "../shared-src/send-queue";
import {
  ConnectRequestSchema,
  WorkerService,
  type Assign,
  type ConnectRequest,
  type ConnectResponse,
  type HelloSchema,
} from "../server/src/gen/flightcontrol/v1/worker_pb";
import { bearer } from "./clients";
import { WORKER_KEY } from "./keys";

export type RequestInit = MessageInitShape<typeof ConnectRequestSchema>["message"];
export type HelloInit = MessageInitShape<typeof HelloSchema>;
type Msg = ConnectResponse["message"];
type Kind = NonNullable<Msg["case"]>;
type ValueOf<C extends Kind> = Extract<Msg, { case: C }>["value"];

/** One ConnectRequest from the message it carries. */
export const request = (m: RequestInit): ConnectRequest => create(ConnectRequestSchema, { message: m });

/**
 * A worker session spoken by hand over WorkerService.Connect: the caller decides every message, so
 * it can say things a real worker never would (tests) or answer at once without running anything
 * (the bench's simulated workers).
 */
export interface WorkerSession {
  send(m: RequestInit): boolean;
  /** Every message the server sent so far (empty when opened with record: false). */
  received: ConnectResponse[];
  /** Waits for the first received message (past or future) that matches. */
  next<C extends Kind>(kind: C, match?: (v: ValueOf<C>) => boolean, timeoutMs?: number): Promise<ValueOf<C>>;
  /** Resolves when the stream ends: undefined for a clean end, else the error. */
  ended: Promise<ConnectError | undefined>;
  workerId(): Promise<string>;
  /** Closes the request side and waits for the server to end the stream (aborting it after timeoutMs). */
  close(timeoutMs?: number): Promise<void>;
  /** Drops the stream at once. */
  kill(): void;
}

export interface WorkerSessionOptions {
  /** Heartbeat at the interval the Welcome asks for, like a real worker, so a long test is not declared lost. */
  heartbeat?: boolean;
  /** Keep what the server sends in `received` for next(); off under load, where nobody reads it. */
  record?: boolean;
  /** Sees each message from the server as it arrives. */
  onMessage?(res: ConnectResponse): void;
}

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
  /** The session token of a previous Welcome, to resume that session. */
  resumeToken?: string;
}

export function hello(name: string, over: HelloFields = {}): HelloInit {
  return { name, hostname: "test-host", capacity: 1, agents: ["shell"], version: "test", instanceId: randomUUID(), ...over };
}

/** Opens a session on `transport`. `first` is the first message (normally Hello); null sends nothing yet. */
export function openWorkerSession(transport: Transport, first: RequestInit | null, opts: WorkerSessionOptions = {}): WorkerSession {
  const queue = createSendQueue<ConnectRequest>();
  const send = (m: RequestInit) => queue.push(request(m));
  if (first) send(first);

  const record = opts.record ?? true;
  const received: ConnectResponse[] = [];
  const waiters = new Set<() => void>();
  const abort = new AbortController();
  const client = createClient(WorkerService, transport);
  let isEnded = false;
  let beat: NodeJS.Timeout | undefined;
  const ended = (async () => {
    try {
      for await (const res of client.connect(queue, { signal: abort.signal })) {
        if (opts.heartbeat && res.message.case === "welcome" && !beat) {
          beat = setInterval(() => send({ case: "heartbeat", value: {} }), res.message.value.heartbeatIntervalMs || 1000);
        }
        if (record) received.push(res);
        opts.onMessage?.(res);
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

  const session: WorkerSession = {
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
    }) as WorkerSession["next"],
    async workerId() {
      return (await session.next("welcome")).workerId;
    },
    async close(timeoutMs = 3000) {
      clearInterval(beat);
      queue.close();
      const timer = setTimeout(() => abort.abort(), timeoutMs);
      await ended;
      clearTimeout(timer);
    },
    kill() {
      clearInterval(beat);
      queue.close();
      abort.abort();
    },
  };
  return session;
}

/** A hand-spoken session with the worker key (or `key`) over its own gRPC (HTTP/2) connection. */
export function handWorker(baseUrl: string, first: RequestInit | null, key = WORKER_KEY, opts: WorkerSessionOptions = {}): WorkerSession {
  return openWorkerSession(createGrpcTransport({ baseUrl, interceptors: [bearer(key)] }), first, opts);
}

/** Waits for the Assign of a given run. */
export const assignOf = (w: WorkerSession, runId: string, timeoutMs?: number): Promise<Assign> =>
  w.next("assign", (a) => a.runId === runId, timeoutMs);

/** What the security tests call the session handWorker opens. */
export type HandWorker = WorkerSession;
