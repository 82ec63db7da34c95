// The run's diff as the commit phase writes it: byte for byte what `git diff --binary` prints (no
// trimming, no re-encoding), applicable with `git apply` onto the base, credential values masked.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitChanges, maskBytes } from "../../src/repository/changes";
import { createMasker } from "../../src/masking";
import { createBareRepo, gitIn, gitRoot } from "../../../testkit/git-server";
import { removeDir, tempDir } from "../../../testkit/temp-dir";

let root: string;
beforeAll(() => {
  root = gitRoot();
});
afterAll(() => removeDir(root));

const SECRET = "tok-9c2e4f6a8b0d1357";
/** "café\n" in Latin-1: not UTF-8, still text to git. */
const latin1 = (s: string) => Buffer.from(s, "latin1");
/** Bytes git treats as binary (NULs), and an edit of them. */
const blobBefore = Buffer.from([0, 1, 2, 3, 255, 254, 0, 10]);
const blobAfter = Buffer.concat([blobBefore, Buffer.from([0, 9, 8, 7])]);

async function commitEdits(name: string, edit: (dir: string) => void, mask = (t: string) => t) {
  const bare = createBareRepo(root, name, {
    // A hunk whose last context line is empty: its diff ends with a line holding one space.
    "lines.txt": "1\n2\n3\n4\n\n",
    "latin1.txt": latin1("caf\xe9\nna\xefve\n"),
    "blob.bin": blobBefore,
  });
  const checkout = join(tempDir("fc-changes-"), "co");
  gitIn(root, ["clone", "--quiet", bare, checkout]);
  const base = gitIn(checkout, ["rev-parse", "HEAD"]);
  edit(checkout);
  const diffPath = join(checkout, "..", "changes.diff");
  const changes = await commitChanges({
    checkout,
    runId: "0190cccc-0000-7000-8000-000000000003",
    prompt: "edit",
    baseCommit: base,
    branch: "fc/x",
    diffPath,
    mask,
  });
  return { bare, checkout, base, changes, diff: readFileSync(diffPath) };
}

const edits = (dir: string) => {
  writeFileSync(join(dir, "lines.txt"), "1\ntwo\n3\n4\n\n");
  writeFileSync(join(dir, "latin1.txt"), latin1("caf\xe9 cr\xe8me\nna\xefve\n"));
  writeFileSync(join(dir, "blob.bin"), blobAfter);
  writeFileSync(join(dir, "added.bin"), Buffer.from([0, 0, 0, 42]));
};

describe("the run's diff", () => {
  it("is byte for byte git's binary diff of base..head, and applies onto the base to give the head's tree", async () => {
    const { checkout, base, changes, diff } = await commitEdits("exact", edits);
    const git = execFileSync("git", ["-C", checkout, "diff", "--binary", "--no-renames", base, changes.headCommit]);
    expect(diff.equals(git)).toBe(true);
    expect(diff.toString("latin1")).toMatch(/\n \n$/);
    expect(diff.toString("latin1")).toContain("diff --git a/added.bin b/added.bin");
    expect(diff.toString("latin1")).toContain("GIT binary patch");
    expect(changes.binaryFiles.sort()).toEqual(["added.bin", "blob.bin"]);

    // What a follow-up of an unpushed run does: the base, plus this diff.
    const replay = join(tempDir("fc-changes-apply-"), "replay");
    gitIn(root, ["clone", "--quiet", "--no-checkout", checkout, replay]);
    gitIn(replay, ["checkout", "--quiet", "--detach", base]);
    execFileSync("git", ["-C", replay, "apply", "--index", "--binary", "-"], { input: diff });
    expect(gitIn(replay, ["write-tree"])).toBe(gitIn(checkout, ["rev-parse", `${changes.headCommit}^{tree}`]));
    expect(readFileSync(join(replay, "latin1.txt")).equals(latin1("caf\xe9 cr\xe8me\nna\xefve\n"))).toBe(true);
  });

  it("masks a credential value in UTF-8 and in Latin-1 text, and changes no other byte", async () => {
    const mask = createMasker([SECRET]);
    const { diff } = await commitEdits(
      "masked",
      (dir) => {
        edits(dir);
        writeFileSync(join(dir, "config.env"), `TOKEN=${SECRET}\n`);
        writeFileSync(join(dir, "latin1.txt"), latin1(`caf\xe9 ${SECRET}\nna\xefve\n`));
      },
      mask,
    );
    const text = diff.toString("latin1");
    expect(text).not.toContain(SECRET);
    expect(text).toContain("+TOKEN=***\n");
    expect(text).toContain(latin1("+caf\xe9 ***\n").toString("latin1"));
    expect(maskBytes(latin1("\xe9 x"), mask).equals(latin1("\xe9 x"))).toBe(true);
  });

  it("ends the branch with a commit naming the run, also when the agent committed its work itself", async () => {
    const { checkout, base, changes } = await commitEdits("self-committed", (dir) => {
      writeFileSync(join(dir, "lines.txt"), "agent\n");
      gitIn(dir, ["commit", "--quiet", "-am", "agent's own commit"]);
    });
    expect(gitIn(checkout, ["log", "--format=%s", `${base}..${changes.headCommit}`]).split("\n")).toEqual([
      "Flight Control run 0190cccc-0000-7000-8000-000000000003",
      "agent's own commit",
    ]);
    expect(changes).toMatchObject({ filesChanged: 1, insertions: 1, deletions: 5 });
  });
});
