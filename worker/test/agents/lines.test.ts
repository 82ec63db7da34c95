import { describe, expect, it } from "vitest";
import { createLineSplitter } from "../../src/agents/lines";

function split(chunks: Array<string | Buffer>, max?: number): string[] {
  const lines: string[] = [];
  const s = createLineSplitter((l) => lines.push(l), max);
  for (const c of chunks) s.push(typeof c === "string" ? Buffer.from(c) : c);
  s.end();
  return lines;
}

describe("line splitter", () => {
  it("joins lines split across chunks", () => {
    expect(split(["he", "llo\nwor", "ld\n", "\n", "x"])).toEqual(["hello", "world", "", "x"]);
  });

  it("drops the CR of CRLF line ends", () => {
    expect(split(["a\r\nb\r", "\nc\r\n"])).toEqual(["a", "b", "c"]);
  });

  it("emits a final line that has no newline, and nothing for empty input", () => {
    expect(split(["last"])).toEqual(["last"]);
    expect(split([])).toEqual([]);
  });

  it("reassembles UTF-8 characters split at every byte position", () => {
    const text = "é€😀 ok\n";
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(split([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(["é€😀 ok"]);
    }
    // One byte at a time.
    expect(split([...bytes].map((b) => Buffer.from([b])))).toEqual(["é€😀 ok"]);
  });

  it("cuts over-long lines into bounded pieces without splitting a surrogate pair", () => {
    expect(split(["abcdefghij\n"], 4)).toEqual(["abcd", "efgh", "ij"]);
    const lines = split(["ab😀cd\n"], 3);
    expect(lines.join("")).toBe("ab😀cd");
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(3);
    expect(lines).toContain("😀c");
  });

  it("handles a long line arriving in many small chunks", () => {
    const chunks = Array.from({ length: 2000 }, () => "x".repeat(100));
    expect(split([...chunks, "\nend"])).toEqual(["x".repeat(200_000), "end"]);
  });
});
