import { create } from "@bufbuild/protobuf";
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createGooseParser } from "../src/agents/goose-events";
import { AgentEventSchema, LogStream, type AgentEvent } from "../src/gen/flightcontrol/v1/run_pb";
import { createMasker, maskedOutput, maskEvent } from "../src/masking";
import { MIN_FRAGMENT_LENGTH, MIN_SECRET_LENGTH } from "../src/secret-forms";

const PEM = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const PEM_LINES = PEM.trim().split("\n");
const TOKEN = "sk-live-0a1b2c3d4e5f60718293a4b5c6d7e8f9";

/** The pieces of a PEM key that must not survive: each line of it, and 12-character pieces of each line. */
function pemLeaks(text: string): string[] {
  return PEM_LINES.filter((l) => text.includes(l) || text.includes(l.slice(2, 14)));
}

describe("createMasker", () => {
  const mask = createMasker([PEM, TOKEN]);

  it("masks a multi-line PEM key printed whole, line by line, and with each line prefixed", () => {
    expect(mask(`key:\n${PEM}done`)).toBe("key:\n***done");
    for (const line of PEM_LINES) expect(mask(line)).toBe("***");
    const quoted = PEM_LINES.map((l) => `> ${l} <`).join("\n");
    expect(mask(quoted)).toBe(PEM_LINES.map(() => "> *** <").join("\n"));
  });

  it("masks a JSON-escaped PEM key inside a tool call's arguments, which stay valid JSON", () => {
    const event = create(AgentEventSchema, {
      kind: { case: "toolCall", value: { callId: "c1", name: "shell", argumentsJson: JSON.stringify({ command: `cat <<EOF\n${PEM}EOF`, n: 1 }) } },
    });
    const masked = maskEvent(event, mask).kind.value as { argumentsJson: string };
    expect(JSON.parse(masked.argumentsJson)).toEqual({ command: "cat <<EOF\n***EOF", n: 1 });
    // Escaped twice (a JSON document carried as a string inside another) and Python-style \u escapes.
    const twice = JSON.stringify({ body: JSON.stringify({ key: PEM }) });
    expect(pemLeaks(mask(twice))).toEqual([]);
    expect(JSON.parse(JSON.parse(mask(twice)).body)).toEqual({ key: "***" });
    const cyrillic = "пароль-секрет-2024";
    const py = JSON.stringify(cyrillic).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    expect(createMasker([cyrillic])(`{"p": ${py}}`)).toBe('{"p": "***"}');
  });

  it("masks URL-encoded values: component, form encoding and lower-case hex", () => {
    const secret = 'p@ss w/rd&"x"=ü';
    const m = createMasker([secret]);
    expect(m(`https://h/cb?k=${encodeURIComponent(secret)}&z=1`)).toBe("https://h/cb?k=***&z=1");
    expect(m(`a=${new URLSearchParams({ k: secret }).toString().slice(2)}`)).toBe("a=***");
    expect(m(`k=${encodeURIComponent(secret).toLowerCase()}`)).toBe("k=***");
    expect(pemLeaks(mask(`u=${encodeURIComponent(PEM)}`))).toEqual([]);
  });

  it("masks the stable part of a value's base64 at each of the three offsets inside a longer stream", () => {
    for (const secret of [TOKEN, PEM]) {
      for (let lead = 0; lead < 3; lead++) {
        const stream = Buffer.concat([Buffer.from("pre-amble-".slice(0, 9 + lead)), Buffer.from(secret), Buffer.from("-trailer")]);
        for (const encoded of [stream.toString("base64"), stream.toString("base64url")]) {
          const out = mask(`data: ${encoded}`);
          expect(out).toContain("***");
          // What is left is only the neighbours' characters and at most one mixed one on each side.
          const kept = out.slice("data: ".length).split("***").join("");
          const ownChars = (8 * Buffer.byteLength(secret)) / 6;
          expect(kept.length, `offset ${(9 + lead) % 3}`).toBeLessThanOrEqual(encoded.length - Math.floor(ownChars) + 2);
        }
      }
    }
  });

  it("masks a value's base64 wrapped at 76 columns (coreutils base64) or 64 (openssl), line by line", () => {
    const encoded = Buffer.from(PEM).toString("base64");
    for (const width of [64, 76]) {
      const lines = encoded.match(new RegExp(`.{1,${width}}`, "g"))!;
      const masked = lines.map(mask);
      // The last line ends in characters mixed with padding and may be shorter than a fragment.
      expect(
        masked.slice(0, -1).every((l) => l === "***"),
        `width ${width}`,
      ).toBe(true);
    }
  });

  it("masks a value streamed by an agent in pieces cut mid-line, in the assistant message and each log line", () => {
    const parser = createGooseParser();
    const events: AgentEvent[] = [];
    const lines: string[] = [];
    const out = maskedOutput({ log: (_s, text) => lines.push(text), event: (e) => events.push(e) }, mask, 1 << 20);
    const msg = (text: string) => JSON.stringify({ type: "message", message: { id: "m1", role: "assistant", content: [{ type: "text", text }] } });
    const reply = `Your key is:\n${PEM}and your token is ${TOKEN}.`;
    const outputs = [];
    for (let i = 0; i < reply.length; i += 13) outputs.push(...parser.line(msg(reply.slice(i, i + 13))));
    outputs.push(...parser.end());
    for (const o of outputs) {
      if (o.kind === "log") out.log(o.stream, o.text);
      else out.event(o.event);
    }
    expect(events.map((e) => e.kind.value)).toMatchObject([{ text: "Your key is:\n***and your token is ***." }]);
    expect(lines).toEqual(["Your key is:", ...PEM_LINES.map(() => "***"), "and your token is ***."]);
    expect(parser.verdict().result && mask(parser.verdict().result!)).toBe("Your key is:\n***and your token is ***.");
  });

  it("masks the union of overlapping occurrences, so no piece of one survives next to another", () => {
    const m = createMasker(["abcdefghij", "ghijklmnop"]);
    expect(m("xx abcdefghijklmnop yy")).toBe("xx *** yy");
    expect(m("abcdefghij ghijklmnop")).toBe("*** ***");
  });

  it(`skips values shorter than ${MIN_SECRET_LENGTH} characters and lines shorter than ${MIN_FRAGMENT_LENGTH}`, () => {
    expect(createMasker(["ab"])("ab cab")).toBe("ab cab");
    expect(createMasker(["abc"])("abc xabcx")).toBe("*** x***x");
    // "ok" and "1234567" are lines of the value but too short to mask on their own; the long line is.
    const m = createMasker(["ok\n1234567\nlong-enough-line"]);
    expect(m("ok 1234567 long-enough-line")).toBe("ok 1234567 ***");
    expect(m("ok\n1234567\nlong-enough-line")).toBe("***");
  });

  it("masks a value with a trailing newline where it is printed without it, and leaves other text alone", () => {
    const m = createMasker([`${TOKEN}\n`]);
    expect(m(`token=${TOKEN}`)).toBe("token=***");
    const plain = '2024-05-01T10:00:00Z GET /api/v1/runs 200 in 12ms ---- {"level":30} ключ ✓';
    expect(mask(plain)).toBe(plain);
    expect(createMasker([])(plain)).toBe(plain);
  });
});

describe("maskEvent", () => {
  it("masks every string field of every event kind, ids included, and leaves numbers alone", () => {
    const mask = createMasker([TOKEN]);
    const kinds: AgentEvent["kind"][] = [
      { case: "assistantMessage", value: { messageId: TOKEN, text: `a ${TOKEN}` } as never },
      { case: "toolResult", value: { callId: "c", output: `out ${TOKEN}`, isError: false } as never },
      { case: "notification", value: { source: TOKEN, message: JSON.stringify({ t: TOKEN }) } as never },
      { case: "error", value: { message: `failed: ${encodeURIComponent(TOKEN)}` } as never },
      { case: "usage", value: { inputTokens: 5n, outputTokens: 1n, totalTokens: 6n, costUsd: 0.5 } as never },
    ];
    const masked = kinds.map((kind) => maskEvent(create(AgentEventSchema, { kind }), mask).kind.value);
    expect(masked).toMatchObject([
      { messageId: "***", text: "a ***" },
      { callId: "c", output: "out ***", isError: false },
      { source: "***", message: '{"t":"***"}' },
      { message: "failed: ***" },
      { inputTokens: 5n, outputTokens: 1n, totalTokens: 6n, costUsd: 0.5 },
    ]);
  });
});

describe("maskedOutput", () => {
  it("cuts an over-long line after masking it, so a cut never leaves the start of a secret", () => {
    const long = "S".repeat(50) + "0123456789".repeat(30);
    const lines: string[] = [];
    const out = maskedOutput({ log: (_s, t) => lines.push(t), event: () => {} }, createMasker([long]), 40);
    out.log(LogStream.STDOUT, `${"x".repeat(30)}${long}`);
    expect(lines).toEqual([`${"x".repeat(30)}***`]);
    out.log(LogStream.STDOUT, "y".repeat(50));
    expect(lines[1]).toBe(`${"y".repeat(40)} … [line cut at 40 characters]`);
  });
});
