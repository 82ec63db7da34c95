import type { DescField, DescMessage } from "@bufbuild/protobuf";

/**
 * protobuf-es rejects a JSON key no field has with `cannot decode message <type> from JSON: key "<k>"
 * is unknown`: it names the nested type, not where the key sits in the request, and not what was
 * meant. Read with the request's type, this says both.
 */
const UNKNOWN_KEY = /^cannot decode message ([\w.]+) from JSON: key "(.*)" is unknown$/;

/**
 * The caller-facing message for an unknown JSON key in a request of type `input`, or undefined when
 * `message` is not protobuf-es's unknown-key error.
 */
export function explainUnknownField(input: DescMessage, message: string): string | undefined {
  const m = UNKNOWN_KEY.exec(message);
  if (!m) return undefined;
  const [, typeName, key] = m as unknown as [string, string, string];
  const found = pathsTo(input, typeName);
  const where = found.paths.length
    ? found.paths
        .slice(0, 3)
        .map((p) => (p ? `${p}.${key}` : key))
        .join(" or ")
    : key;
  const fields = found.desc ? found.desc.fields : [];
  const guess = closest(key, fields);
  const hint = guess
    ? `did you mean "${guess}"?`
    : fields.length
      ? `${typeName} has: ${fields.map((f) => f.jsonName).join(", ")}`
      : `${typeName} has no fields`;
  return `unknown field "${where}" (${hint}): remove it or correct its name`;
}

/** Every shortest field path from `root` to a message of type `typeName` ("" for the root itself). */
function pathsTo(root: DescMessage, typeName: string): { desc?: DescMessage; paths: string[] } {
  let level: Array<{ desc: DescMessage; path: string }> = [{ desc: root, path: "" }];
  const seen = new Set<string>();
  while (level.length) {
    const hits = level.filter((n) => n.desc.typeName === typeName);
    if (hits.length) return { desc: hits[0]!.desc, paths: hits.map((h) => h.path) };
    const next: typeof level = [];
    for (const { desc, path } of level) {
      // A type reached once at this depth need not be explored again deeper (recursive types).
      if (seen.has(desc.typeName)) continue;
      seen.add(desc.typeName);
      for (const field of desc.fields) {
        const child = messageOf(field);
        if (child) next.push({ desc: child, path: join(path, field) });
      }
    }
    level = next;
  }
  return { paths: [] };
}

function messageOf(field: DescField): DescMessage | undefined {
  if (field.fieldKind === "message") return field.message;
  if (field.fieldKind === "list" && field.listKind === "message") return field.message;
  if (field.fieldKind === "map" && field.mapKind === "message") return field.message;
  return undefined;
}

function join(path: string, field: DescField): string {
  const name = field.fieldKind === "list" ? `${field.jsonName}[]` : field.fieldKind === "map" ? `${field.jsonName}.<key>` : field.jsonName;
  return path ? `${path}.${name}` : name;
}

/** The field whose JSON or proto name is nearest to `key` by edit distance, if near enough to be a typo. */
function closest(key: string, fields: readonly DescField[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const f of fields) {
    const d = Math.min(distance(key.toLowerCase(), f.jsonName.toLowerCase()), distance(key.toLowerCase(), f.name.toLowerCase()));
    if (!best || d < best.d) best = { name: f.jsonName, d };
  }
  return best && best.d <= Math.max(2, Math.floor(key.length / 4)) ? best.name : undefined;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
