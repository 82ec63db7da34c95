import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLiteralScanner } from "../src/literal-scanner";

/** The spans a correct scanner reports: every occurrence of every pattern, merged where they overlap or touch. */
function naiveSpans(text: string, patterns: string[]): number[] | undefined {
  const covered = new Array<boolean>(text.length + 1).fill(false);
  const starts = new Set<number>();
  for (const p of patterns) {
    for (let at = text.indexOf(p); at !== -1; at = text.indexOf(p, at + 1)) {
      for (let i = at; i < at + p.length; i++) covered[i] = true;
      starts.add(at);
    }
  }
  const spans: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (!covered[i]) continue;
    // Touching occurrences merge into one span; so do a start right where a span ends.
    if (spans.length && spans[spans.length - 1] === i) spans[spans.length - 1] = i + 1;
    else spans.push(i, i + 1);
  }
  return spans.length ? spans : undefined;
}

describe("createLiteralScanner", () => {
  it("reports exactly the occurrences a naive search finds, for short and long patterns at any offset", () => {
    // A three-letter alphabet makes overlaps, repeats and shared grams common.
    const word = (min: number, max: number) => fc.string({ unit: fc.constantFrom("a", "b", "c"), minLength: min, maxLength: max });
    fc.assert(
      fc.property(
        fc.array(word(3, 24), { minLength: 1, maxLength: 6 }),
        fc.array(fc.oneof(word(0, 6), fc.nat(5)), { maxLength: 12 }),
        (patterns, parts) => {
          // The text mixes random filler with copies of the patterns, so most cases hold matches.
          const text = parts.map((p) => (typeof p === "number" ? patterns[p % patterns.length] : p)).join("");
          expect(createLiteralScanner(patterns)(text)).toEqual(naiveSpans(text, patterns));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("finds a long pattern at every position of a long text, in non-ASCII text too", () => {
    const pattern = "ключ-0123456789-секрет";
    const scan = createLiteralScanner([pattern]);
    for (let at = 0; at < 40; at++) {
      const text = `${"ü".repeat(at)}${pattern}${"x".repeat(40 - at)}`;
      expect(scan(text), `at ${at}`).toEqual([at, at + pattern.length]);
    }
    expect(scan("ключ-0123456789-секре")).toBeUndefined();
  });
});
