/**
 * Finding 5 of the outside security test: masking missed secrets that leave the worker transformed.
 * A real server and worker; credentials holding a PEM key and a token with JSON/URL metacharacters;
 * a shell run that prints them line by line, JSON-escaped, URL-encoded and base64-encoded at all
 * three offsets, and a fake goose that streams them in its assistant text, a tool call's arguments,
 * the tool's result, a notification and its final answer. Nothing the server stores or returns —
 * ListRunLogs, WatchRun, the run's result and error — may hold a secret or any line or form of it.
 */
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { RunService, RunStatus, type Run, type RunOutput } from "../../src/gen/flightcontrol/v1/run_pb";
import { client } from "../../../testkit/clients";
import { waitFor } from "../../../testkit/wait-for";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

const PEM_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const API_TOKEN = `tok "live"/${Date.now().toString(36)}?a=b&c=d+e 0a1b2c3d4e5f6071`;

/** Every piece of a value that must never reach the server: the value, each line, each encoded form. */
function forbiddenPieces(value: string): string[] {
  const pieces = [value, value.trim(), JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
  pieces.push(
    ...value
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length >= 8),
  );
  for (let lead = 0; lead < 3; lead++) {
    // The middle of the value's base64 at each offset inside a longer stream; its ends mix in neighbours.
    const encoded = Buffer.concat([Buffer.from("xy".slice(0, lead)), Buffer.from(value), Buffer.from("tail")]).toString("base64");
    const middle = encoded.slice(lead + 4, Math.floor(((lead + Buffer.byteLength(value)) * 8) / 6) - 4);
    pieces.push(middle);
    // A piece of it, for a stream that wraps lines.
    pieces.push(middle.slice(10, 40));
  }
  return pieces;
}
const FORBIDDEN = [...forbiddenPieces(PEM_KEY), ...forbiddenPieces(API_TOKEN)];

/** Every string inside a message (log text, event fields, run result and error), however nested. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) if (k !== "$typeName") strings(v, out);
  return out;
}

function leaks(texts: string[]): string[] {
  return FORBIDDEN.filter((piece) => texts.some((t) => t.includes(piece))).map((p) => `${p.slice(0, 40)}… (${p.length} chars)`);
}

let server: TestServer;
let worker: WorkerProcess;
let credentialId: string;

beforeAll(async () => {
  server = await startTestServer();
  worker = startWorker(server.url, { name: "secret-forms-1" });
  const { credential } = await client(CredentialService, server.url, ADMIN_KEY).createCredential({ name: "forms", env: { PEM_KEY, API_TOKEN } });
  credentialId = credential!.id;
});
afterAll(async () => {
  await worker?.kill();
  await server?.cleanup();
});

/** Runs a spec to its end; returns everything the server hands out about it, as strings. */
async function runAndCollect(spec: { agent: string; prompt: string; provider?: string; model?: string }) {
  const runs = client(RunService, server.url, ADMIN_KEY);
  const { run } = await runs.createRun({ spec: { ...spec, credentialIds: [credentialId] } });
  const watched: (Run | RunOutput)[] = [];
  // WatchRun from the start: it replays what is stored, then follows the run to its end.
  for await (const msg of runs.watchRun({ runId: run!.id, afterSeq: 0n })) {
    if (msg.run) watched.push(msg.run);
    watched.push(...msg.items);
  }
  const done = await waitFor(
    async () => {
      const r = (await runs.getRun({ id: run!.id })).run!;
      return r.finishTime ? r : undefined;
    },
    { what: "the run to finish" },
  );
  const { items } = await runs.listRunLogs({ runId: run!.id });
  const logLines = items.flatMap((i) => (i.payload.case === "log" ? [i.payload.value.text] : []));
  return { done, items, logLines, all: [...strings(done), ...strings(items), ...strings(watched)] };
}

describe("secrets in transformed forms", () => {
  it("a shell run printing a PEM key line by line, JSON-escaped, URL-encoded and in base64 leaks none of it", async () => {
    const node = JSON.stringify(process.execPath);
    const prompt = [
      'echo "raw: $PEM_KEY"',
      `printf '%s\\n' "$PEM_KEY" | sed 's/^/> /'`,
      `${node} -e 'console.log("json: " + JSON.stringify({ key: process.env.PEM_KEY, token: process.env.API_TOKEN }))'`,
      `${node} -e 'console.log("url: https://example.test/cb?key=" + encodeURIComponent(process.env.PEM_KEY) + "&t=" + encodeURIComponent(process.env.API_TOKEN))'`,
      // The secret at offsets 0, 1 and 2 (mod 3) of a longer base64 stream.
      `for lead in "" x xy; do printf 'b64: '; printf '%s%s%s' "$lead" "$PEM_KEY" tail | base64 -w0; printf '%s%s%s' "$lead" "$API_TOKEN" tail | base64 -w0; echo; done`,
      // coreutils base64 wraps at 76 columns: each line is a piece of the encoding.
      `printf '%s' "$PEM_KEY" | base64`,
      'echo "err: $API_TOKEN" >&2',
      'echo "result: $PEM_KEY"',
    ].join("; ");
    const { done, logLines, all } = await runAndCollect({ agent: "shell", prompt });
    expect(done.status, done.error).toBe(RunStatus.SUCCEEDED);
    expect(logLines).toContain("raw: ***");
    expect(logLines).toContain("> ***");
    expect(logLines).toContain('json: {"key":"***","token":"***"}');
    expect(logLines).toContain("url: https://example.test/cb?key=***&t=***");
    expect(logLines).toContain("err: ***");
    expect(logLines.filter((l) => l.startsWith("b64: "))).toHaveLength(3);
    expect(leaks(all)).toEqual([]);
  });

  it("a fake goose putting the secrets in streamed text, tool-call arguments, a tool result, a notification and its answer leaks none of it", async () => {
    const { done, items, all } = await runAndCollect({
      agent: "goose",
      prompt: "leak_env=PEM_KEY leak_env=API_TOKEN",
      provider: "openai",
      model: "gpt-4o",
    });
    expect(done.status, done.error).toBe(RunStatus.SUCCEEDED);
    const events = items.flatMap((i) => (i.payload.case === "event" ? [i.payload.value.kind] : []));
    const calls = events.flatMap((k) => (k.case === "toolCall" ? [k.value] : []));
    expect(calls.length).toBeGreaterThanOrEqual(2);
    // Still valid JSON, with the values masked inside it.
    expect(JSON.parse(calls[0].argumentsJson)).toEqual({ command: "printf '%s' '***' > key.pem", env: { PEM_KEY: "***" } });
    expect(events.some((k) => k.case === "toolResult" && k.value.output === "***")).toBe(true);
    expect(events.some((k) => k.case === "notification" && k.value.message === 'loaded {"PEM_KEY":"***"}')).toBe(true);
    expect(done.result).toContain('{"PEM_KEY":"***"}');
    expect(leaks(all)).toEqual([]);
  });
});
