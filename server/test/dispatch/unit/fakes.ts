import { DEFAULT_WORKSPACE_ID } from "../../../src/storage/entities";
import { pino } from "pino";
import type { ConnectResponse } from "../../../src/gen/flightcontrol/v1/worker_pb";
import { createOutageRetry } from "../../../src/domain/dispatch/outage-retry";
import type { WorkerSession } from "../../../src/domain/dispatch/registry";
import { unavailable } from "../../../src/domain/errors";
import type { SendQueue } from "../../../../shared-src/send-queue";
import type { JobRunRow } from "../../../src/storage/entities";

export const silent = pino({ level: process.env.FC_TEST_LOG ?? "silent" });

/** What storage raises while the database is down. */
export const outageError = () => unavailable("the database is unavailable (SQLITE_FULL: database or disk is full)");

/** A database that tests take down and bring back; `retry` is the outage retry the server builds on it. */
export function fakeDatabase() {
  const listeners = new Set<(s: { available: boolean }) => void>();
  const health = {
    status: { available: true },
    onChange(l: (s: { available: boolean }) => void) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
  };
  const set = (available: boolean) => {
    health.status = { available };
    for (const l of listeners) l(health.status);
  };
  const retry = createOutageRetry(health, silent);
  const check = () => {
    if (!health.status.available) throw outageError();
  };
  return {
    health,
    retry,
    get down() {
      return !health.status.available;
    },
    fail: () => set(false),
    recover: () => set(true),
    /** Throws the outage error while the database is down. */
    check,
    /** A query on the fake database: throws the outage error while it is down, else returns `result()`. */
    query<T>(result: () => T): T {
      check();
      return result();
    },
  };
}

/** An sendQueue that keeps what was pushed, for tests to read without a stream. */
function recordingOutbox(): SendQueue<ConnectResponse> & { sent: ConnectResponse[] } {
  const sent: ConnectResponse[] = [];
  let closed = false;
  return {
    sent,
    push: (m) => {
      if (closed) return false;
      sent.push(m);
      return true;
    },
    close: () => void (closed = true),
    fail: () => void (closed = true),
    get closed() {
      return closed;
    },
    get size() {
      return sent.length;
    },
    [Symbol.asyncIterator]: () => {
      throw new Error("a recording sendQueue is not read as a stream");
    },
  };
}

export type TestSession = WorkerSession & { sendQueue: ReturnType<typeof recordingOutbox> };

export function session(workerId: string, over: Partial<WorkerSession> = {}): TestSession {
  return {
    workerId,
    name: `worker-${workerId}`,
    workspaceId: DEFAULT_WORKSPACE_ID,
    instanceId: `instance-${workerId}`,
    labels: {},
    agents: new Set(["shell"]),
    capacity: 2,
    draining: false,
    runs: new Map(),
    lastSeen: 0,
    output: new Map(),
    ...over,
    sendQueue: recordingOutbox(),
  };
}

/** The cases of the messages a session was sent, with their run ids: ["cancel:r1", "logAck:r1"]. */
export const sentTo = (s: TestSession) =>
  s.sendQueue.sent.map((m) => `${m.message.case}${m.message.value && "runId" in m.message.value ? `:${m.message.value.runId}` : ""}`);

export function runRow(id: string, over: Partial<JobRunRow> = {}): JobRunRow {
  return {
    id,
    jobId: null,
    jobName: "job",
    spec: "{}",
    agent: "shell",
    requiredLabels: "{}",
    labels: "{}",
    priority: 0,
    status: "running",
    trigger: "manual",
    scheduleId: null,
    retryOfRunId: null,
    attempt: 1,
    maxAttempts: 3,
    workerId: "w1",
    workerName: "worker-w1",
    createdAt: 0,
    availableAt: 0,
    assignedAt: 0,
    startedAt: 0,
    finishedAt: null,
    deadlineAt: null,
    timeoutSeconds: 60,
    exitCode: null,
    error: "",
    result: "",
    usage: "{}",
    changes: "",
    lastSeq: 0,
    cancelRequested: false,
    updatedAt: 0,
    workspaceId: DEFAULT_WORKSPACE_ID,
    ...over,
  } as JobRunRow;
}
