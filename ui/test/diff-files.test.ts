import { describe, expect, it } from "vitest";
import { initiallyCollapsed, parseChangesDiff, renderedLines } from "../src/lib/diff-files";
import { languageOf } from "../src/lib/diff-language";
import { isRegistered } from "../src/lib/highlighter";

// `git diff --no-renames --no-color base head`, as the worker writes changes.diff: a modified file,
// a deleted one, a binary one and a new one whose name has a space (git ends its +++ line with a tab).
const DIFF = [
  "diff --git a/a.ts b/a.ts",
  "index 83db48f..a16f0f7 100644",
  "--- a/a.ts",
  "+++ b/a.ts",
  "@@ -1,3 +1,4 @@",
  " line1",
  "-line2",
  "+line2 changed",
  " line3",
  "+line4",
  "diff --git a/gone.md b/gone.md",
  "deleted file mode 100644",
  "index 3367afd..0000000",
  "--- a/gone.md",
  "+++ /dev/null",
  "@@ -1 +0,0 @@",
  "-old",
  "diff --git a/img.png b/img.png",
  "index f584f40..6bf43ff 100644",
  "Binary files a/img.png and b/img.png differ",
  "diff --git a/new dir.py b/new dir.py",
  "new file mode 100644",
  "index 0000000..fa49b07",
  "--- /dev/null",
  "+++ b/new dir.py\t",
  "@@ -0,0 +1 @@",
  "+new file",
  "",
].join("\n");

describe("parseChangesDiff", () => {
  it("lists every file with its path, kind and +/− counts", () => {
    const files = parseChangesDiff(DIFF);
    expect(files.map((f) => [f.path, f.type, f.insertions, f.deletions, f.binary])).toEqual([
      ["a.ts", "modify", 2, 1, false],
      ["gone.md", "delete", 0, 1, false],
      ["img.png", "modify", 0, 0, true],
      ["new dir.py", "add", 1, 0, false],
    ]);
    expect(new Set(files.map((f) => f.key)).size).toBe(4);
  });

  it("notes a binary file that is the last one of the diff", () => {
    const tail = "diff --git a/x.bin b/x.bin\nnew file mode 100644\nindex 0000000..1111111\nBinary files /dev/null and b/x.bin differ\n";
    const [f] = parseChangesDiff(`${DIFF}${tail}`).slice(-1);
    expect(f).toMatchObject({ path: "x.bin", binary: true, insertions: 0 });
  });

  it("reads a binary-safe diff (git diff --binary, what follow-ups apply) the same way", () => {
    const binaryPatch = (path: string) =>
      [
        `diff --git a/${path} b/${path}`,
        "index f584f40..6bf43ff 100644",
        "GIT binary patch",
        "literal 6",
        "NcmeAS@N;Ki0sscv0dW8T",
        "",
        "literal 6",
        "NcmeAS@N;Ki1ONuw0dN2S",
        "",
      ].join("\n");
    const text = [
      DIFF.split("diff --git a/img.png")[0],
      binaryPatch("img.png"),
      "\n",
      DIFF.split("Binary files a/img.png and b/img.png differ\n")[1],
      binaryPatch("last.bin"),
      "\n",
    ].join("");
    const files = parseChangesDiff(text);
    expect(files.map((f) => [f.path, f.insertions, f.deletions, f.binary])).toEqual([
      ["a.ts", 2, 1, false],
      ["gone.md", 0, 1, false],
      ["img.png", 0, 0, true],
      ["new dir.py", 1, 0, false],
      ["last.bin", 0, 0, true],
    ]);
  });

  it("keeps a hunk line that itself looks like a file header inside its file", () => {
    const text = "diff --git a/n.md b/n.md\n--- a/n.md\n+++ b/n.md\n@@ -1 +1,2 @@\n a\n+diff --git a/x b/x\n";
    const files = parseChangesDiff(text);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ path: "n.md", insertions: 1 });
  });

  it("reads an empty diff (the agent changed nothing) as no files", () => {
    expect(parseChangesDiff("")).toEqual([]);
    expect(parseChangesDiff("\n")).toEqual([]);
  });
});

describe("initiallyCollapsed", () => {
  const file = (path: string, n: number) => {
    const body = Array.from({ length: n }, (_, i) => `+l${i}`).join("\n");
    return `diff --git a/${path} b/${path}\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1,${n} @@\n${body}\n`;
  };

  it("collapses a file over the per-file limit and every file after the total budget", () => {
    const files = parseChangesDiff(file("small.ts", 10) + file("huge.ts", 50) + file("mid.ts", 20) + file("late.ts", 15) + file("tiny.ts", 1));
    expect(files.map(renderedLines)).toEqual([10, 50, 20, 15, 1]);
    const collapsed = initiallyCollapsed(files, { fileLines: 40, totalLines: 40 });
    expect(files.filter((f) => collapsed.has(f.key)).map((f) => f.path)).toEqual(["huge.ts", "late.ts"]);
  });

  it("collapses nothing in a small diff", () => {
    expect(initiallyCollapsed(parseChangesDiff(DIFF)).size).toBe(0);
  });
});

describe("languageOf", () => {
  it("picks the highlighting language by extension or file name, if refractor has it", () => {
    expect(languageOf("src/app.tsx", isRegistered)).toBe("tsx");
    expect(languageOf("a/b/main.py", isRegistered)).toBe("python");
    expect(languageOf("Dockerfile", isRegistered)).toBe("docker");
    expect(languageOf("Makefile", isRegistered)).toBe("makefile");
    expect(languageOf("notes.txt", isRegistered)).toBeUndefined();
    expect(languageOf(".bashrc", isRegistered)).toBeUndefined();
    expect(languageOf("x.go", () => false)).toBeUndefined();
  });
});
