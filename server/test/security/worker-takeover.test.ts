/**
 * Finding 8 of the outside test: a worker key could take over another worker's run by reusing its
 * name within the lease — a Hello as "w1" listing the run (and w1's instance id) kept it, then
 * injected log lines and finished it SUCCEEDED with a forged result. A session's runs now belong to
 * the session: its Welcome carries a random token, and only a Hello presenting it (with the same
 * key) resumes the session and keeps the runs; while the name is connected, a Hello without it is
 * refused, and the real worker keeps its name and its runs.
 */
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { LogStream, RunOutputSchema, RunService, RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { assignOf, handWorker, hello, type HandWorker, type HelloFields } from "../../../testkit/worker-session";

let server: TestServer;
const open: HandWorker[] = [];

beforeAll(async () => {
  // A lease long enough that every step below happens within it.
  server = await startTestServer({ workerLostAfterMs: 60_000 });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()));
});
afterAll(async () => {
  await server?.cleanup();
});

const runs = () => client(RunService, server.url, ADMIN_KEY);
const connect = (name: string, over: HelloFields = {}, key?: string) => {
  const w = handWorker(server.url, { case: "hello", value: hello(name, { labels: { pool: name }, capacity: 2, ...over }) }, key, { heartbeat: true });
  open.push(w);
  return w;
};
const line = (seq: number, text: string) =>
  create(RunOutputSchema, { seq: BigInt(seq), time: timestampNow(), payload: { case: "log", value: { stream: LogStream.STDOUT, text } } });

async function state(runId: string) {
  const run = (await runs().getRun({ id: runId })).run!;
  const logs = (await runs().listRunLogs({ runId })).items.map((i) => (i.payload.case === "log" ? i.payload.value.text : i.payload.case));
  return { status: RunStatus[run.status], attempt: run.attempt, result: run.result, lastSeq: run.lastSeq, logs };
}

/** A worker named `name` holding a running run, as the real worker. */
async function realWorker(name: string) {
  const instanceId = randomUUID();
  const w = connect(name, { instanceId });
  const welcome = await w.next("welcome");
  const run = (await runs().createRun({ spec: { agent: "shell", prompt: "real work", requiredLabels: { pool: name }, maxAttempts: 3 } })).run!;
  const { attempt } = await assignOf(w, run.id);
  w.send({ case: "runStarted", value: { runId: run.id, attempt } });
  await waitFor(async () => (await state(run.id)).status === "RUNNING", { what: "running" });
  return { w, welcome, instanceId, runId: run.id, attempt };
}

/** The attack: a Hello as the real worker (its name and instance id) listing its run, then logs and a forged success. */
function squat(name: string, instanceId: string, runId: string, attempt: number) {
  const thief = connect(name, { instanceId, activeRuns: [{ runId, attempt, lastSeq: 0n }] });
  thief.send({ case: "logBatch", value: { runId, attempt, items: [line(1, "injected")] } });
  thief.send({ case: "runFinished", value: { runId, attempt, status: RunStatus.SUCCEEDED, exitCode: 0, result: "forged result", lastSeq: 1n } });
  return thief;
}

describe("a worker's runs belong to its session", () => {
  it("each Welcome carries a new random session token of at least 128 bits", async () => {
    const a = connect("token-a");
    const b = connect("token-b");
    const [ta, tb] = [(await a.next("welcome")).sessionToken, (await b.next("welcome")).sessionToken];
    expect(Buffer.from(ta, "base64url").length).toBeGreaterThanOrEqual(16);
    expect(ta).not.toBe(tb);
    await a.close();
    const again = connect("token-a", { resumeToken: ta });
    expect((await again.next("welcome")).sessionToken).not.toBe(ta);
  });

  it("a Hello reusing a connected worker's name and instance id, without its token, is refused; the real worker keeps its run", async () => {
    const real = await realWorker("w1-connected");
    const before = await state(real.runId);
    const thief = squat("w1-connected", real.instanceId, real.runId, real.attempt);
    const err = await thief.ended;
    expect(Code[err!.code], err!.message).toBe("AlreadyExists");
    expect(err!.rawMessage).toContain("w1-connected");
    expect(thief.received).toEqual([]);
    expect(await state(real.runId)).toEqual(before);

    // The real worker is still the one: its output and its finish are stored.
    real.w.send({ case: "logBatch", value: { runId: real.runId, attempt: real.attempt, items: [line(1, "real")] } });
    real.w.send({
      case: "runFinished",
      value: { runId: real.runId, attempt: real.attempt, status: RunStatus.SUCCEEDED, exitCode: 0, result: "real result", lastSeq: 1n },
    });
    await real.w.next("logAck", (a) => a.runId === real.runId && a.finished);
    expect(await state(real.runId)).toMatchObject({ status: "SUCCEEDED", result: "real result", logs: ["real"] });
  });

  it("within the lease after the real worker disconnected, a Hello without its token does not get its run: no logs, no forged finish", async () => {
    const real = await realWorker("w1-away");
    await real.w.close();
    const thief = squat("w1-away", real.instanceId, real.runId, real.attempt);
    const cancel = await thief.next("cancel", (c) => c.runId === real.runId);
    expect(cancel.abandon).toBe(true);
    // Messages are handled in order: once its own run's ack is back, the forged ones were refused.
    const own = (await runs().createRun({ spec: { agent: "shell", prompt: "own", requiredLabels: { pool: "w1-away" } } })).run!;
    const ownAssign = await assignOf(thief, own.id);
    thief.send({ case: "logBatch", value: { runId: own.id, attempt: ownAssign.attempt, items: [line(1, "barrier")] } });
    await thief.next("logAck", (a) => a.runId === own.id);
    const after = await state(real.runId);
    expect(after.status).not.toBe("SUCCEEDED");
    expect(after.result).toBe("");
    expect(after.logs).toEqual([]);
    expect(thief.received.some((r) => r.message.case === "logAck" && r.message.value.runId === real.runId)).toBe(false);
  });

  it("the real worker reconnecting with its token resumes its session and keeps its run, even while its old stream is still open", async () => {
    const real = await realWorker("w1-resume");
    // A reconnect before the server noticed the old stream is dead: the token lets the new stream take over.
    const back = connect("w1-resume", {
      resumeToken: real.welcome.sessionToken,
      activeRuns: [{ runId: real.runId, attempt: real.attempt, lastSeq: 0n }],
    });
    await back.next("logAck", (a) => a.runId === real.runId && !a.finished);
    expect(back.received.some((r) => r.message.case === "cancel")).toBe(false);
    back.send({ case: "logBatch", value: { runId: real.runId, attempt: real.attempt, items: [line(1, "resumed")] } });
    back.send({
      case: "runFinished",
      value: { runId: real.runId, attempt: real.attempt, status: RunStatus.SUCCEEDED, exitCode: 0, result: "done", lastSeq: 1n },
    });
    await back.next("logAck", (a) => a.runId === real.runId && a.finished);
    expect(await state(real.runId)).toMatchObject({ status: "SUCCEEDED", result: "done", logs: ["resumed"], attempt: real.attempt });
  });

  it("the token is worthless with another API key", async () => {
    const { key } = await client(ApiKeyService, server.url, ADMIN_KEY).createApiKey({ name: "other worker key", role: Role.WORKER });
    const real = await realWorker("w1-otherkey");
    await real.w.close();
    const thief = connect(
      "w1-otherkey",
      { resumeToken: real.welcome.sessionToken, activeRuns: [{ runId: real.runId, attempt: real.attempt, lastSeq: 0n }] },
      key,
    );
    // Another key's process may not even take the name while it still holds runs.
    const err = await thief.ended;
    expect(Code[err!.code], err!.message).toBe("AlreadyExists");
    expect(err!.rawMessage).toMatch(/another API key/);
    expect(await state(real.runId)).toMatchObject({ status: "RUNNING", attempt: real.attempt, logs: [] });
    // The real worker comes back and still has it.
    const back = connect("w1-otherkey", {
      resumeToken: real.welcome.sessionToken,
      activeRuns: [{ runId: real.runId, attempt: real.attempt, lastSeq: 0n }],
    });
    await back.next("logAck", (a) => a.runId === real.runId && !a.finished);
    expect(back.received.some((r) => r.message.case === "cancel")).toBe(false);
  });
});
