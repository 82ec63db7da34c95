/**
 * Bad input, property-based: for every RPC of every flightcontrol.v1 service (from the generated
 * descriptors), hostile Connect-JSON requests built by breaking one thing in a valid request. Each
 * must be refused with the code the contract implies and a message naming the problem (the local
 * protovalidate/decoder verdict is the oracle), never Internal, never a stack trace; the server stays
 * up and the database is byte-for-byte unchanged.
 */
import * as http2 from "node:http2";
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import type { DescMethod } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, WORKER_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { snapshotDb } from "./support/db";
import { createFixtures, type Fixtures, type Kind } from "./support/fixtures";
import { checkProperty, runs } from "./support/fuzz";
import { CONTROL_CHARS, fieldPaths, garbageBody, hostileValue, setPath, toJsonText, type Json } from "./support/hostile";
import { judge } from "./support/oracle";
import { allMethods, baseRequest, idKind, isFilter, readOnly, rpcName, rpcPath } from "./support/requests";
import { connectStream, connectStreamH2, connectUnary, leaksInternals, type WireResult } from "./support/wire";

let server: TestServer;
let fx: Fixtures;
let h2: http2.ClientHttp2Session;

beforeAll(async () => {
  // Nothing may change the database on its own while requests are compared with it.
  server = await startTestServer({ workerLostAfterMs: 3_600_000, assignAckTimeoutMs: 3_600_000 });
  fx = await createFixtures(server.url);
  h2 = http2.connect(server.url);
});
afterAll(async () => {
  h2?.close();
  await server?.cleanup();
});

/** Sends a request body to any RPC over the Connect protocol (bidi over HTTP/2, the rest over HTTP/1.1). */
function send(m: DescMethod, body: Uint8Array): Promise<WireResult> {
  // Only a worker key may open a worker session; every other RPC is called as admin.
  const key = m.parent.typeName === "flightcontrol.v1.WorkerService" && m.name === "Connect" ? WORKER_KEY : ADMIN_KEY;
  switch (m.methodKind) {
    case "unary":
      return connectUnary(server.url, rpcPath(m), body, { key });
    case "server_streaming":
      return connectStream(server.url, rpcPath(m), [body], { key, timeoutMs: 5_000 });
    default:
      return connectStreamH2(h2, rpcPath(m), [body], key, 5_000);
  }
}

const bytesOf = (body: string | Uint8Array) => (typeof body === "string" ? Buffer.from(body, "utf8") : body);

/**
 * Sends one hostile request and checks everything the contract promises about it. Returns false
 * (nothing sent) when the request is in fact valid and could change state.
 */
async function refuse(m: DescMethod, body: string | Uint8Array, expectCode?: string[]): Promise<boolean> {
  const bytes = bytesOf(body);
  const verdict = judge(m.input, bytes);
  const tooBig = bytes.length > server.config.maxMessageBytes;
  if (!expectCode && verdict.kind === "valid" && !tooBig && !readOnly(m)) return false;
  const before = await snapshotDb(server.app.sql);
  const res = await send(m, bytes);
  const what = `${rpcName(m)} with ${bytes.length > 300 ? `${bytes.length} bytes` : JSON.stringify(Buffer.from(bytes).toString("utf8"))}`;
  expect(res.code, `${what}: ${res.message}`).not.toBe("internal");
  expect(res.code, `${what}: unexpected end`).not.toMatch(/^(http_|no_end_stream)/);
  expect(leaksInternals(res.raw), `${what} leaked internals:\n${res.raw.slice(0, 2000)}`).toBeUndefined();
  if (expectCode) {
    expect(expectCode, `${what}: ${res.message}`).toContain(res.code);
  } else if (tooBig) {
    expect(res.code, what).toBe("resource_exhausted");
    expect(res.message).toMatch(/larger than|too large|exceeds|limit/i);
  } else if (verdict.kind === "valid") {
    expect(["ok", "not_found"], `${what}: ${res.message}`).toContain(res.code);
  } else {
    expect(res.code, `${what}: ${res.message}`).toBe("invalid_argument");
    // The server's message is the contract's verdict: the field and the rule (or the decoding problem).
    // Map keys inside field paths may be withheld (a bad credential variable name may be a pasted secret).
    const withoutKeys = (m: string) => m.replace(/\["(?:[^"\\]|\\.)*"\]/g, "[…]");
    expect(withoutKeys(res.message), what).toBe(withoutKeys(verdict.message));
  }
  if (res.code !== "ok") expect(res.message.trim(), `${what}: empty error message`).not.toBe("");
  const after = await snapshotDb(server.app.sql);
  expect(after.counts, `${what} changed row counts`).toEqual(before.counts);
  expect(after.digest, `${what} changed the database`).toBe(before.digest);
  expect((await fetch(`${server.url}/healthz`)).status, `server unhealthy after ${what}`).toBe(200);
  expect(({} as Record<string, unknown>).polluted, "Object.prototype polluted").toBeUndefined();
  return true;
}

describe.each(allMethods.map((m) => [rpcName(m), m] as const))("%s", (_name, m) => {
  it("refuses hostile field values (wrong types, too long, control characters, bad ids, out-of-range enums and numbers, deep nesting)", async () => {
    const base = baseRequest(m, fx);
    const paths = fieldPaths(m.input);
    const mutation = paths.length
      ? fc.constantFrom(...paths).chain((p) => hostileValue(p.field).map((value) => ({ path: p.json, value })))
      : fc.constant(undefined);
    const body = fc.oneof(
      { weight: 5, arbitrary: mutation.map((mu) => (mu ? toJsonText(setPath(base, mu.path, mu.value)) : "{}")) },
      { weight: 1, arbitrary: garbageBody },
    );
    let sent = 0;
    await checkProperty(
      `hostile ${rpcName(m)}`,
      fc.asyncProperty(body, async (b) => {
        const done = await refuse(m, b);
        fc.pre(done);
        sent++;
      }),
      runs(20, 400),
    );
    expect(sent).toBeGreaterThan(0);
  });
});

describe("a body past the message size limit", () => {
  // One RPC of each kind: the limit is enforced before any handler runs (foundation tests cover it per client).
  const picks = ["JobService/CreateJob", "RunService/WatchRun", "WorkerService/Connect"].map((n) => allMethods.find((m) => rpcName(m) === n)!);
  it.each(picks.map((m) => [rpcName(m), m] as const))("%s: ResourceExhausted, nothing stored", async (_n, m) => {
    const padding = "x".repeat(server.config.maxMessageBytes + 1024);
    await refuse(m, `{"padding":"${padding}"}`);
  });
});

describe("ids of the wrong kind and ids that exist nowhere", () => {
  const withIds = allMethods.flatMap((m) =>
    fieldPaths(m.input, 2)
      .filter((p) => idKind(m, p.json) && !(m.methodKind !== "unary" && isFilter(m)) && m.methodKind !== "bidi_streaming")
      .map((p) => [`${rpcName(m)} ${p.display}`, m, p.json] as const),
  );

  it.each(withIds)("%s", async (_name, m, path) => {
    const kind = idKind(m, path)!;
    const others = (Object.keys(fx) as Array<keyof Fixtures>).filter((k): k is Kind => k !== kind && k !== "scheduleServed" && k !== "member");
    const wrongId = fc.oneof(
      fc.constantFrom(...others).map((k) => fx[k]),
      fc.uuid({ version: [4, 7] }),
      fc.constant(fx[kind].toUpperCase()),
    );
    const base = baseRequest(m, fx);
    await checkProperty(
      `wrong id ${rpcName(m)}`,
      fc.asyncProperty(wrongId, async (id) => {
        const value: Json = path[path.length - 1].endsWith("Ids") ? [id] : id;
        const expected = isFilter(m) ? ["ok", "not_found"] : ["not_found"];
        await refuse(m, toJsonText(setPath(base, path, value)), expected);
      }),
      runs(8, 60),
    );
  });
});

describe("schedules refuse what protovalidate cannot judge", () => {
  const cronAlphabet = /^[0-9A-Za-z*/,\-? #]*$/;
  const badCron = fc.oneof(
    fc.constantFrom(
      "* * * * * * * *",
      "61 * * * *",
      "* 25 * * *",
      "* * 32 * *",
      "* * * 13 *",
      "* * * * 8",
      "*/0 * * * *",
      "@reboot ",
      "not a cron",
      "99999999999 * * * *",
      "1-0 * * * *",
      "* * * * * *x",
      "L W # ? * *",
      "0 0 30 2 *",
      "-1 * * * *",
    ),
    fc.string({ minLength: 9, maxLength: 60 }).filter((s) => !cronAlphabet.test(s)),
  );
  const badZone = fc.constantFrom(
    "Mars/Olympus",
    "../../etc/passwd",
    "UTC+25",
    "Europe/Berlin\u0000",
    "America/New York",
    "Etc/GMT+99",
    "Local",
    "EST5EDT,M3",
    "\u202eUTC",
  );

  it("an invalid cron expression is InvalidArgument naming the cron, and nothing is stored", async () => {
    if (!fx.scheduleServed) throw new Error("ScheduleService is not served (requests get HTTP 404 / Unimplemented)");
    for (const method of ["CreateSchedule", "UpdateSchedule"]) {
      const m = allMethods.find((x) => x.name === method)!;
      await checkProperty(
        `bad cron ${method}`,
        fc.asyncProperty(badCron, async (cron) => {
          const body = toJsonText({ ...baseRequest(m, fx), cron });
          await refuse(m, body, ["invalid_argument"]);
          const res = await send(m, Buffer.from(body));
          expect(res.message).toMatch(/cron/i);
        }),
        runs(15, 200),
      );
    }
  });

  it("an unknown time zone is InvalidArgument naming the time zone, and nothing is stored", async () => {
    if (!fx.scheduleServed) throw new Error("ScheduleService is not served (requests get HTTP 404 / Unimplemented)");
    for (const method of ["CreateSchedule", "UpdateSchedule"]) {
      const m = allMethods.find((x) => x.name === method)!;
      await checkProperty(
        `bad zone ${method}`,
        fc.asyncProperty(badZone, async (timeZone) => {
          const body = toJsonText({ ...baseRequest(m, fx), timeZone });
          await refuse(m, body, ["invalid_argument"]);
          expect((await send(m, Buffer.from(body))).message).toMatch(/time.?zone/i);
        }),
        runs(8, 40),
      );
    }
  });
});

describe("names", () => {
  // The contract's pattern ^[^\x00-\x1f]+$ stops C0 controls; DEL and the C1 controls are control
  // characters too (Unicode category Cc) and render as nothing or as terminal escapes in the dashboard and logs.
  const controls = [...CONTROL_CHARS, "\u007f", "\u0080", "\u0085", "\u009b", "\u009f"];
  const named = [
    "JobService/CreateJob",
    "ApiKeyService/CreateApiKey",
    "CredentialService/CreateCredential",
    "ScheduleService/CreateSchedule",
    "WorkspaceService/CreateWorkspace",
  ].map((n) => allMethods.find((m) => rpcName(m) === n)!);

  it.each(named.map((m) => [rpcName(m), m] as const))("%s refuses a name holding any control character", async (_n, m) => {
    if (m.parent.name === "ScheduleService" && !fx.scheduleServed) throw new Error("ScheduleService is not served");
    const accepted: string[] = [];
    for (const c of controls) {
      const name = `evil${c}name-${randomUUID().slice(0, 8)}`;
      const body = toJsonText({ ...baseRequest(m, fx), name });
      const res = await send(m, Buffer.from(body));
      if (res.code === "ok") accepted.push(`U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`);
      else await refuse(m, body, ["invalid_argument"]);
    }
    expect(accepted, `${rpcName(m)} stored names holding control characters`).toEqual([]);
  });
});
