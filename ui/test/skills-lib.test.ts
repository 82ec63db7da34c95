import { describe, expect, it } from "vitest";
import { checkEnvRows, looksSecret } from "../src/lib/env-checks";
import { buildTree } from "../src/lib/file-tree";
import { markdownBody } from "../src/lib/front-matter";
import { MAX_FILES, skillSource, type PickedFile } from "../src/lib/skill-upload";

const file = (path: string, text = "x"): PickedFile => ({ path, blob: new Blob([text]) });

describe("skillSource", () => {
  it("one archive is sent as `archive`, byte for byte", async () => {
    const src = await skillSource([{ path: "pdf-tools.tar.gz", blob: new Blob([new Uint8Array([31, 139, 8])]) }]);
    if (typeof src === "string" || !src.archive) throw new Error(`expected an archive, got ${JSON.stringify(src)}`);
    expect([...src.archive]).toEqual([31, 139, 8]);
  });

  it("a dropped folder is sent as `files` with their relative paths, without Finder's junk", async () => {
    const src = await skillSource([file("pdf-tools/scripts/run.sh", "#!/bin/sh"), file("pdf-tools/SKILL.md", "---"), file("pdf-tools/.DS_Store")]);
    if (typeof src === "string" || !src.files) throw new Error(`expected files, got ${JSON.stringify(src)}`);
    // Compared as text: jsdom's and Node's Uint8Array are different classes.
    expect(src.files.map((f) => [f.path, new TextDecoder().decode(f.content)])).toEqual([
      ["pdf-tools/SKILL.md", "---"],
      ["pdf-tools/scripts/run.sh", "#!/bin/sh"],
    ]);
  });

  it("says what to drop instead when there is no SKILL.md, an archive among files, too many files or nothing", async () => {
    await expect(skillSource([file("notes/readme.md")])).resolves.toMatch(/no SKILL\.md at the top/);
    await expect(skillSource([file("a/b/SKILL.md")])).resolves.toMatch(/no SKILL\.md at the top/);
    await expect(skillSource([file("SKILL.md"), file("x.zip")])).resolves.toMatch(/one archive on its own/);
    const many = Array.from({ length: MAX_FILES + 1 }, (_, i) => file(`s/f${i}`));
    await expect(skillSource([file("s/SKILL.md"), ...many])).resolves.toMatch(/at most 256 files; this has 258/);
    await expect(skillSource([file(".DS_Store")])).resolves.toMatch(/^Drop a skill/);
  });
});

describe("buildTree", () => {
  it("nests by folder, folders before files, each by name", () => {
    const tree = buildTree([{ path: "SKILL.md" }, { path: "scripts/run.sh" }, { path: "references/a.md" }, { path: "scripts/lib/x.py" }]);
    const show = (ns: typeof tree): unknown => ns.map((n) => (n.file ? n.name : { [n.name]: show(n.children) }));
    expect(show(tree)).toEqual([{ references: ["a.md"] }, { scripts: [{ lib: ["x.py"] }, "run.sh"] }, "SKILL.md"]);
    expect(tree[1]?.children[0]?.path).toBe("scripts/lib");
  });
});

describe("markdownBody", () => {
  it("drops the front matter and keeps the rest; text without front matter is unchanged", () => {
    expect(markdownBody("---\nname: pdf\ndescription: x\n---\n# PDF\nbody")).toBe("# PDF\nbody");
    expect(markdownBody("# Title\n---\nmore")).toBe("# Title\n---\nmore");
  });
});

describe("env checks", () => {
  it("warns about names that look like secrets, not about ordinary ones", () => {
    for (const n of ["OPENAI_API_KEY", "GITHUB_TOKEN", "db_password", "CLIENT_SECRET"]) expect(looksSecret(n)).toBe(true);
    for (const n of ["LOG_LEVEL", "REGION", "TARGET_BRANCH"]) expect(looksSecret(n)).toBe(false);
  });

  it("refuses names the worker keeps, non-identifiers and duplicates, on the variable", () => {
    const out = checkEnvRows(
      [
        { key: "ORCH_X", value: "" },
        { key: "1BAD", value: "" },
        { key: "OK", value: "1" },
        { key: "OK", value: "2" },
        { key: "", value: "orphan" },
      ],
      "spec",
    );
    expect(out).toEqual([
      { path: "spec.env", message: "A variable has a value but no name; name it or remove it." },
      { path: 'spec.env["ORCH_X"]', message: "Names starting with ORCH_ are the worker's own; rename the variable." },
      { path: 'spec.env["1BAD"]', message: "Use letters, digits and _ only, not starting with a digit (a shell variable name)." },
      { path: 'spec.env["OK"]', message: "OK is set twice; keep one." },
    ]);
  });
});
