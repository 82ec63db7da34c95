import fc from "fast-check";
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";

/** A piece of JSON text spliced in verbatim (numbers JS cannot hold, nesting JSON.stringify cannot reach). */
export class RawJson {
  constructor(readonly text: string) {}
}
export type Json = null | boolean | number | string | RawJson | Json[] | { [k: string]: Json };

/** JSON.stringify that splices RawJson fragments in as they are. */
export function toJsonText(value: Json): string {
  const fragments: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof RawJson) {
      fragments.push(v.text);
      return `\u0000raw${fragments.length - 1}\u0000`;
    }
    return v;
  });
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => fragments[Number(i)]);
}

export const deepArray = (depth: number) => new RawJson("[".repeat(depth) + "]".repeat(depth));
export const deepObject = (depth: number) => new RawJson(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);

export const CONTROL_CHARS = [...Array(32).keys()].map((c) => String.fromCharCode(c));

const WRONG_FOR_STRING: Json[] = [0, -1, 1.5, true, false, {}, [], ["x"], { a: "b" }, new RawJson("1e400")];
const WRONG_FOR_NUMBER: Json[] = [
  "abc",
  "",
  "1x",
  true,
  {},
  [],
  [1],
  1.5,
  -1,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53 + 2,
  "NaN",
  "Infinity",
  "-Infinity",
  new RawJson("1e400"),
  new RawJson("18446744073709551616"),
  new RawJson("-9223372036854775809"),
  "0x10",
  " 1",
];
const WRONG_FOR_BOOL: Json[] = ["true", "yes", 1, 0, {}, [], "false "];
const WRONG_FOR_MESSAGE: Json[] = ["x", 1, true, [], [{}], "{}", deepArray(5000), deepObject(2000)];
const WRONG_FOR_LIST: Json[] = ["x", 1, true, {}, { 0: "a" }, deepArray(3000)];
const WRONG_FOR_MAP: Json[] = ["x", 1, true, [], [["a", "b"]], deepArray(3000)];

/** Strings that break rules or try to break out of something. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  // Beyond every max_len in the contract (64 … 200000), in characters and in multi-byte characters.
  fc
    .tuple(
      fc.constantFrom(33, 65, 101, 129, 257, 513, 1001, 4001, 8193, 10_001, 65_537, 200_001, 250_000),
      fc.constantFrom("a", "é", "😀", "\u0007", " "),
    )
    .map(([n, c]) => c.repeat(n)),
  fc
    .tuple(
      fc.string({ maxLength: 20 }),
      fc.constantFrom(...CONTROL_CHARS, "\u007f", "\u0085", "\u2028", "\u202e", "\ufeff"),
      fc.string({ maxLength: 20 }),
    )
    .map(([a, c, b]) => a + c + b),
  fc.uuid().map((u) => u.replace(/-/g, "")),
  fc.uuid().map((u) => `${u.slice(0, -1)}g`),
  fc.uuid().map((u) => ` ${u}`),
  fc.uuid().map((u) => `${u}\n`),
  fc.uuid().map((u) => `{${u}}`),
  fc.constantFrom(
    "",
    " ",
    "../../etc/passwd",
    "..\\..\\windows",
    "/etc/shadow",
    "' OR 1=1 --",
    '"; DROP TABLE job_runs; --',
    "%",
    "_",
    "%_%",
    "<script>alert(1)</script>",
    "${jndi:ldap://x/a}",
    "{{7*7}}",
    "\ud800",
    "\udfff",
    "a\u0000b",
    "null",
    "undefined",
    "NaN",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "not-a-uuid",
    "-leading",
    "UPPER CASE",
    "* * * * * * * *",
    "61 * * * *",
    "@reboot",
    "Mars/Olympus",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "http://[::1",
    "x".repeat(9),
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
);

/** Integers that break ranges (negative for unsigned, past every lte, past 32 bits). */
const hostileInt: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.constantFrom(-1, 0, 501, 1001, 1_000_000, 604_801, 2 ** 31 - 1, 2 ** 32 - 1),
  fc.constantFrom(...WRONG_FOR_NUMBER),
);

/** Enum values: numbers no enum defines, names of other enums, wrong types. */
const hostileEnum = (field: { enum: { values: Array<{ number: number; name: string }> } }): fc.Arbitrary<Json> => {
  const defined = new Set(field.enum.values.map((v) => v.number));
  return fc.oneof(
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).filter((n) => !defined.has(n)),
    fc.constantFrom(-1, 9, 99, 2 ** 31 - 1, 2 ** 31, 1.5, "", "NOPE", "ROLE_ROOT", "RUN_STATUS_QUEUED ", true, {}, []),
    fc.constantFrom(0, field.enum.values[0].name),
  );
};

const hostileScalar = (scalar: ScalarType): fc.Arbitrary<Json> => {
  switch (scalar) {
    case ScalarType.STRING:
      return fc.oneof({ weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: fc.constantFrom(...WRONG_FOR_STRING) });
    case ScalarType.BOOL:
      return fc.constantFrom(...WRONG_FOR_BOOL);
    case ScalarType.BYTES:
      return fc.constantFrom("%%%", "not base64!", 1, {}, []);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return fc.constantFrom("abc", {}, [], true, new RawJson("1e400"), "1e400", -1);
    default:
      return hostileInt;
  }
};

/** A hostile value for one field, of whatever kind it is. */
export function hostileValue(field: DescField): fc.Arbitrary<Json> {
  switch (field.fieldKind) {
    case "scalar":
      return hostileScalar(field.scalar);
    case "enum":
      return hostileEnum(field);
    case "message":
      if (field.message.typeName === "google.protobuf.Timestamp") {
        return fc.constantFrom("yesterday", "9999-99-99T99:99:99Z", "10000-01-01T00:00:00Z", 1, {}, [], "2026-01-01T00:00:00+25:00");
      }
      return fc.constantFrom(...WRONG_FOR_MESSAGE);
    case "list": {
      const item: fc.Arbitrary<Json> =
        field.listKind === "scalar"
          ? hostileScalar(field.scalar)
          : field.listKind === "enum"
            ? hostileEnum(field)
            : fc.constantFrom(...WRONG_FOR_MESSAGE);
      const plausible: Json =
        field.listKind === "scalar" && field.scalar === ScalarType.STRING
          ? "shell"
          : field.listKind === "enum"
            ? (field.enum.values[1]?.name ?? 1)
            : {};
      return fc.oneof(
        fc.constantFrom(...WRONG_FOR_LIST),
        fc.array(item, { minLength: 1, maxLength: 3 }),
        // Past every max_items in the contract (8 … 20000 would be too slow to send often; 257 covers 256).
        fc.constantFrom(9, 17, 33, 65, 257).map((n) => Array.from({ length: n }, () => plausible)),
        fc.uuid().map((u) => [u, u]),
      );
    }
    case "map": {
      const value: fc.Arbitrary<Json> =
        field.mapKind === "scalar"
          ? hostileScalar(field.scalar)
          : field.mapKind === "enum"
            ? hostileEnum(field)
            : fc.constantFrom(...WRONG_FOR_MESSAGE);
      return fc.oneof(
        fc.constantFrom(...WRONG_FOR_MAP),
        fc.tuple(hostileString, fc.constantFrom<Json>("v", "")).map(([k, v]) => ({ [k]: v })),
        value.map((v) => ({ GOOD_KEY: v })),
        fc.constantFrom(9, 33, 65, 100).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`K${i}`, "v"]))),
      );
    }
  }
}

export interface FieldPath {
  /** JSON names from the request's root to the field. */
  json: string[];
  /** Proto names, dotted, for messages. */
  display: string;
  field: DescField;
}

/** Every field reachable from a message (lists of messages through their first element), up to a depth. */
export function fieldPaths(message: DescMessage, depth = 3, prefix: { json: string[]; display: string[] } = { json: [], display: [] }): FieldPath[] {
  const out: FieldPath[] = [];
  for (const field of message.fields) {
    const json = [...prefix.json, field.jsonName];
    const display = [...prefix.display, field.name];
    out.push({ json, display: display.join("."), field });
    const nested =
      field.fieldKind === "message" ? field.message : field.fieldKind === "list" && field.listKind === "message" ? field.message : undefined;
    if (nested && depth > 1 && !nested.typeName.startsWith("google.protobuf.")) {
      const step = field.fieldKind === "list" ? [...json, "0"] : json;
      out.push(...fieldPaths(nested, depth - 1, { json: step, display }));
    }
  }
  return out;
}

/** A deep copy of `base` with `value` set at `path` ("0" steps into the first element of a list), creating what is missing. */
export function setPath(base: Record<string, Json>, path: string[], value: Json): Record<string, Json> {
  const root = structuredClone(base) as Record<string, Json>;
  let node: Record<string, Json> | Json[] = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    const nextIsIndex = path[i + 1] === "0";
    const container = node as Record<string, Json>;
    const existing = container[key];
    if (existing === null || typeof existing !== "object" || existing instanceof RawJson || Array.isArray(existing) !== nextIsIndex) {
      container[key] = nextIsIndex ? [] : {};
    }
    node = container[key] as Record<string, Json> | Json[];
    if (nextIsIndex) {
      const list = node as Json[];
      if (list[0] === null || typeof list[0] !== "object" || Array.isArray(list[0])) list[0] = {};
      node = list[0] as Record<string, Json>;
      i++;
    }
  }
  (node as Record<string, Json>)[path[path.length - 1]] = value;
  return root;
}

/** Whole bodies that are not a request at all. */
export const garbageBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "null",
    "[]",
    '"x"',
    "5",
    "true",
    "{",
    '{"a":}',
    "{}garbage",
    "\ufeff{}",
    "{'single': 'quotes'}",
    '{"a":1,}',
    '{"__proto__": {"polluted": true}}',
    '{"constructor": {"prototype": {"polluted": true}}}',
    "[".repeat(200_000) + "]".repeat(200_000),
    `{"x":${deepObject(50_000).text}}`,
    "\u0000\u0001\u0002",
    '{"a":"\\ud800"}',
    "NaN",
    "Infinity",
  ),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ minLength: 1, maxLength: 64 }),
  fc.constant(Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])),
);
