/**
 * Authorization on the worker stream, beyond the role table: a worker (WORKER_KEY, speaking
 * WorkerService.Connect by hand over gRPC) may act only on the runs the server assigned to it, at
 * the attempt it was given, while it holds them. Reports about anyone else's run — started, logs,
 * finished, finished twice, claimed in a Hello — change nothing. A worker name is one process at a
 * time; a session starts with Hello; and a worker key reads no jobs or credentials.
 */
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { LogStream, RunOutputSchema, RunService, RunStatus, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService, WorkerState } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY, WORKER_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { snapshotDb } from "./support/db";
import { assignOf, handWorker, hello, type HandWorker } from "../../../testkit/worker-session";

let server: TestServer;
const open: HandWorker[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()));
});
afterAll(async () => {
  await server?.cleanup();
});

const runs = () => client(RunService, server.url, ADMIN_KEY);
const worker = (name: string, labels: Record<string, string> = {}, over = {}) => {
  const w = handWorker(server.url, { case: "hello", value: hello(name, { labels, capacity: 4, ...over }) });
  open.push(w);
  return w;
};
const items = (from: number, n: number, text: string) =>
  Array.from({ length: n }, (_, i) =>
    create(RunOutputSchema, {
      seq: BigInt(from + i),
      time: timestampNow(),
      payload: { case: "log", value: { stream: LogStream.STDOUT, text: `${text} ${from + i}` } },
    }),
  );

async function queue(pool: string): Promise<Run> {
  return (await runs().createRun({ spec: { agent: "shell", prompt: `echo ${pool}`, requiredLabels: { pool } } })).run!;
}

/** The stored state of a run that reports must not touch: everything but the clock. */
async function state(runId: string) {
  const run = (await runs().getRun({ id: runId })).run!;
  const logs = (await runs().listRunLogs({ runId })).items.map((i) => `${i.seq}:${i.payload.case === "log" ? i.payload.value.text : i.payload.case}`);
  return {
    status: RunStatus[run.status],
    worker: run.workerName,
    attempt: run.attempt,
    lastSeq: run.lastSeq,
    result: run.result,
    error: run.error,
    exitCode: run.exitCode,
    finish: run.finishTime?.seconds,
    logs,
  };
}

/**
 * Messages on one stream are handled in order: a LogBatch for a run the worker does hold, and its
 * LogAck, prove that everything sent before it has been dealt with.
 */
async function barrier(w: HandWorker, ownRunId: string, attempt: number, seq: number) {
  w.send({ case: "logBatch", value: { runId: ownRunId, attempt, items: items(seq, 1, "barrier") } });
  await w.next("logAck", (a) => a.runId === ownRunId && a.ackedSeq === BigInt(seq));
}

describe("a worker acts only on runs it holds", () => {
  it("reports about a run assigned to another worker change nothing: started, logs, finished, any attempt", async () => {
    const a = worker("holder-a", { pool: "a" });
    const b = worker("intruder-b", { pool: "b" });
    const target = await queue("a");
    const own = await queue("b");
    const assigned = await assignOf(a, target.id);
    const ownAssign = await assignOf(b, own.id);
    b.send({ case: "runStarted", value: { runId: own.id, attempt: ownAssign.attempt } });
    const before = await state(target.id);
    expect(before.status).toBe("ASSIGNED");
    const dbBefore = await snapshotDb(server.app.sql);

    for (const attempt of [assigned.attempt, assigned.attempt + 1, 0]) {
      b.send({ case: "runStarted", value: { runId: target.id, attempt } });
      b.send({ case: "logBatch", value: { runId: target.id, attempt, items: items(1, 3, "forged") } });
      b.send({
        case: "runFinished",
        value: { runId: target.id, attempt, status: RunStatus.SUCCEEDED, exitCode: 0, result: "forged result", lastSeq: 3n },
      });
    }
    await barrier(b, own.id, ownAssign.attempt, 1);
    expect(await state(target.id)).toEqual(before);
    // Nothing was acknowledged to the intruder for the foreign run.
    expect(b.received.filter((r) => r.message.case === "logAck" && r.message.value.runId === target.id)).toEqual([]);
    const dbAfter = await snapshotDb(server.app.sql);
    expect(dbAfter.counts.job_logs).toBe(dbBefore.counts.job_logs + 1); // the barrier line only

    // The holder is unaffected and can run it to the end.
    a.send({ case: "runStarted", value: { runId: target.id, attempt: assigned.attempt } });
    a.send({ case: "logBatch", value: { runId: target.id, attempt: assigned.attempt, items: items(1, 2, "real") } });
    await a.next("logAck", (x) => x.runId === target.id && x.ackedSeq === 2n);
    a.send({
      case: "runFinished",
      value: { runId: target.id, attempt: assigned.attempt, status: RunStatus.SUCCEEDED, exitCode: 0, result: "real result", lastSeq: 2n },
    });
    await a.next("logAck", (x) => x.runId === target.id && x.finished);
    const done = await state(target.id);
    expect(done).toMatchObject({ status: "SUCCEEDED", worker: "holder-a", result: "real result", logs: ["1:real 1", "2:real 2"] });
  });

  it("a finished run cannot be finished again, nor get more logs, by its own worker or another", async () => {
    const a = worker("finisher-a", { pool: "fa" });
    const b = worker("finisher-b", { pool: "fb" });
    const target = await queue("fa");
    const own = await queue("fb");
    const { attempt } = await assignOf(a, target.id);
    const ownAssign = await assignOf(b, own.id);
    a.send({ case: "runStarted", value: { runId: target.id, attempt } });
    a.send({ case: "logBatch", value: { runId: target.id, attempt, items: items(1, 1, "line") } });
    a.send({ case: "runFinished", value: { runId: target.id, attempt, status: RunStatus.FAILED, exitCode: 3, error: "first outcome", lastSeq: 1n } });
    await a.next("logAck", (x) => x.runId === target.id && x.finished);
    const finished = await state(target.id);
    expect(finished).toMatchObject({ status: "FAILED", error: "first outcome", exitCode: 3, logs: ["1:line 1"] });

    // The same worker, again: a second outcome, then late logs.
    a.send({
      case: "runFinished",
      value: { runId: target.id, attempt, status: RunStatus.SUCCEEDED, exitCode: 0, result: "second outcome", lastSeq: 5n },
    });
    a.send({ case: "logBatch", value: { runId: target.id, attempt, items: items(2, 4, "late") } });
    a.send({ case: "runStarted", value: { runId: target.id, attempt } });
    // A repeated finish is only acknowledged again (its first ack may have been lost); count them to sync.
    a.send({ case: "runFinished", value: { runId: target.id, attempt, status: RunStatus.CANCELLED, lastSeq: 1n } });
    await waitFor(
      () => a.received.filter((r) => r.message.case === "logAck" && r.message.value.runId === target.id && r.message.value.finished).length >= 3,
      { what: "re-acks" },
    );
    // Another worker, too.
    b.send({ case: "runFinished", value: { runId: target.id, attempt, status: RunStatus.SUCCEEDED, result: "stolen", lastSeq: 1n } });
    b.send({ case: "logBatch", value: { runId: target.id, attempt, items: items(2, 1, "stolen") } });
    await barrier(b, own.id, ownAssign.attempt, 1);
    expect(await state(target.id)).toEqual(finished);
  });

  it("a queued run nobody holds cannot be started, logged to or finished by a worker", async () => {
    const b = worker("idle-b", { pool: "ib" });
    const own = await queue("ib");
    const ownAssign = await assignOf(b, own.id);
    const orphan = await queue("nowhere");
    const before = await state(orphan.id);
    b.send({ case: "runStarted", value: { runId: orphan.id, attempt: 1 } });
    b.send({ case: "logBatch", value: { runId: orphan.id, attempt: 1, items: items(1, 2, "forged") } });
    b.send({ case: "runFinished", value: { runId: orphan.id, attempt: 1, status: RunStatus.SUCCEEDED, lastSeq: 2n } });
    // And a run id that does not exist at all.
    const ghost = randomUUID();
    b.send({ case: "logBatch", value: { runId: ghost, attempt: 1, items: items(1, 1, "ghost") } });
    b.send({ case: "runFinished", value: { runId: ghost, attempt: 1, status: RunStatus.SUCCEEDED, lastSeq: 1n } });
    await barrier(b, own.id, ownAssign.attempt, 1);
    expect(await state(orphan.id)).toEqual(before);
    const ghostRows = await server.app.sql.all("SELECT run_id FROM job_logs WHERE run_id = ?", [ghost]);
    expect(ghostRows).toEqual([]);
  });

  it("a run taken away (requeued to another worker) is no longer the first worker's to report on", async () => {
    const a = worker("taken-a", { pool: "t" });
    const aId = await a.workerId();
    const target = (await runs().createRun({ spec: { agent: "shell", prompt: "echo t", requiredLabels: { pool: "t" }, maxAttempts: 2 } })).run!;
    const first = await assignOf(a, target.id);
    a.send({ case: "runStarted", value: { runId: target.id, attempt: first.attempt } });
    await waitFor(async () => (await state(target.id)).status === "RUNNING", { what: "running" });
    await a.close();
    const workers = client(WorkerService, server.url, ADMIN_KEY);
    await waitFor(async () => (await workers.getWorker({ id: aId })).worker?.state === WorkerState.OFFLINE, { what: "a offline" });
    // The same name comes back as a new process that does not hold the run: that attempt is over.
    const back = worker("taken-a", { pool: "elsewhere" });
    await back.workerId();
    await waitFor(async () => (await runs().getRun({ id: target.id })).run!.attempt === first.attempt + 1, { what: "requeued" });
    const c = worker("taken-c", { pool: "t" });
    const second = await assignOf(c, target.id);
    c.send({ case: "runStarted", value: { runId: target.id, attempt: second.attempt } });
    await waitFor(async () => (await state(target.id)).status === "RUNNING", { what: "running again" });
    const before = await state(target.id);
    expect(before.worker).toBe("taken-c");

    // The old worker reports on its old attempt, and on the current one: refused.
    for (const attempt of [first.attempt, second.attempt]) {
      back.send({ case: "runStarted", value: { runId: target.id, attempt } });
      back.send({ case: "logBatch", value: { runId: target.id, attempt, items: items(1, 2, "stale") } });
      back.send({ case: "runFinished", value: { runId: target.id, attempt, status: RunStatus.SUCCEEDED, result: "stale", lastSeq: 2n } });
    }
    const own = await queue("elsewhere");
    const ownAssign = await assignOf(back, own.id);
    await barrier(back, own.id, ownAssign.attempt, 1);
    expect(await state(target.id)).toEqual(before);
  });

  it("a Hello that claims another worker's run does not take it: the claimant is told to abandon it", async () => {
    const a = worker("claim-a", { pool: "c" });
    const target = await queue("c");
    const { attempt } = await assignOf(a, target.id);
    a.send({ case: "runStarted", value: { runId: target.id, attempt } });
    await waitFor(async () => (await state(target.id)).status === "RUNNING", { what: "running" });
    const before = await state(target.id);
    const thief = handWorker(server.url, {
      case: "hello",
      value: hello("claim-thief", { labels: { pool: "thief" }, activeRuns: [{ runId: target.id, attempt, lastSeq: 0n }] }),
    });
    open.push(thief);
    const cancel = await thief.next("cancel", (c) => c.runId === target.id);
    expect(cancel.abandon).toBe(true);
    thief.send({ case: "runStarted", value: { runId: target.id, attempt } });
    thief.send({ case: "logBatch", value: { runId: target.id, attempt, items: items(1, 1, "thief") } });
    thief.send({ case: "runFinished", value: { runId: target.id, attempt, status: RunStatus.SUCCEEDED, lastSeq: 1n } });
    const own = await queue("thief");
    const ownAssign = await assignOf(thief, own.id);
    await barrier(thief, own.id, ownAssign.attempt, 1);
    expect(await state(target.id)).toEqual(before);
    // The holder still holds it: its logs are accepted and acknowledged.
    a.send({ case: "logBatch", value: { runId: target.id, attempt, items: items(1, 1, "holder") } });
    await a.next("logAck", (x) => x.runId === target.id && x.ackedSeq === 1n);
    expect(await state(target.id)).toEqual({ ...before, lastSeq: 1n, logs: ["1:holder 1"] });
  });
});

describe("session rules", () => {
  it("a second process with the same worker name is refused with AlreadyExists while the first is connected", async () => {
    const first = worker("unique-name");
    const firstId = await first.workerId();
    const second = handWorker(server.url, { case: "hello", value: hello("unique-name") });
    const err = await second.ended;
    expect(err?.code, err?.message).toBe(Code.AlreadyExists);
    expect(err?.rawMessage).toContain("unique-name");
    // The first session is untouched: still online, still receiving work.
    const w = (await client(WorkerService, server.url, ADMIN_KEY).getWorker({ id: firstId })).worker!;
    expect(w.state).toBe(WorkerState.ONLINE);
    const run = (await runs().createRun({ spec: { agent: "shell", prompt: "echo" } })).run!;
    await assignOf(first, run.id);
  });

  it.each([
    ["heartbeat", { case: "heartbeat" as const, value: {} }],
    ["runStarted", { case: "runStarted" as const, value: { runId: randomUUID(), attempt: 1 } }],
    ["logBatch", { case: "logBatch" as const, value: { runId: randomUUID(), attempt: 1, items: items(1, 1, "x") } }],
    ["runFinished", { case: "runFinished" as const, value: { runId: randomUUID(), attempt: 1, status: RunStatus.SUCCEEDED } }],
  ])("a session whose first message is %s instead of Hello is refused with InvalidArgument", async (_name, first) => {
    const before = await snapshotDb(server.app.sql);
    const w = handWorker(server.url, first);
    open.push(w);
    const err = await w.ended;
    expect(err?.code, err?.message).toBe(Code.InvalidArgument);
    expect(err?.rawMessage).toMatch(/Hello/);
    expect(w.received).toEqual([]);
    expect((await snapshotDb(server.app.sql)).digest).toBe(before.digest);
  });

  it("a session that sends nothing, or an empty message, is refused with InvalidArgument", async () => {
    const silent = handWorker(server.url, null);
    void silent.close();
    expect((await silent.ended)?.code).toBe(Code.InvalidArgument);
    const empty = handWorker(server.url, { case: undefined });
    open.push(empty);
    expect((await empty.ended)?.code).toBe(Code.InvalidArgument);
  });

  it("a second Hello on an open session ends it with InvalidArgument", async () => {
    const w = worker("double-hello");
    await w.workerId();
    w.send({ case: "hello", value: hello("double-hello") });
    const err = await w.ended;
    expect(err?.code, err?.message).toBe(Code.InvalidArgument);
  });

  it("a Hello that breaks the contract (short instance id, no agents, zero capacity, bad name) opens no session and writes nothing", async () => {
    const before = await snapshotDb(server.app.sql);
    for (const bad of [{ instanceId: "1234567" }, { agents: [] }, { capacity: 0 }, { capacity: 257 }, { name: "bad name\n" }, { name: "" }]) {
      const w = handWorker(server.url, { case: "hello", value: hello("bad-hello", bad) });
      open.push(w);
      const err = await w.ended;
      expect(err?.code, JSON.stringify(bad)).toBe(Code.InvalidArgument);
    }
    expect((await snapshotDb(server.app.sql)).digest).toBe(before.digest);
  });
});

describe("a worker key outside the worker stream", () => {
  it.each(["grpc", "connect"] as const)("cannot read jobs, runs or credentials, nor change them (%s): PermissionDenied", async (protocol) => {
    const jobs = client(JobService, server.url, WORKER_KEY, protocol);
    const creds = client(CredentialService, server.url, WORKER_KEY, protocol);
    const r = client(RunService, server.url, WORKER_KEY, protocol);
    const id = randomUUID();
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["ListJobs", () => jobs.listJobs({})],
      ["GetJob", () => jobs.getJob({ id })],
      ["ListCredentials", () => creds.listCredentials({})],
      ["CreateCredential", () => creds.createCredential({ name: "w", env: { A: "b" } })],
      ["ListRuns", () => r.listRuns({})],
      ["GetRun", () => r.getRun({ id })],
      ["ListRunLogs", () => r.listRunLogs({ runId: id })],
      [
        "WatchRun",
        async () => {
          for await (const _ of r.watchRun({ runId: id })) break;
        },
      ],
    ];
    for (const [name, call] of calls) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(err?.code, `${name}: ${err?.message ?? "answered"}`).toBe(Code.PermissionDenied);
      expect(err?.rawMessage).toMatch(/worker role/);
    }
  });
});
