import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { RunChangesSchema } from "../../src/gen/flightcontrol/v1/run_pb";
import { FollowUpSchema } from "../../src/gen/flightcontrol/v1/worker_pb";
import { applyParentWork, followUpStart } from "../../src/repository/follow-up";
import { gitIn } from "../../../testkit/git-server";
import { tempDir } from "../../../testkit/temp-dir";

const followUp = (changes: Parameters<typeof create<typeof RunChangesSchema>>[1] | undefined, diffId = "") =>
  create(FollowUpSchema, {
    parentRunId: "0190aaaa-0000-7000-8000-000000000001",
    parentChanges: changes && create(RunChangesSchema, changes),
    changesArtifactId: diffId,
  });

describe("where a follow-up starts", () => {
  it("from the pushed head, the unchanged base, or the base plus the parent's diff", () => {
    expect(followUpStart(followUp({ baseCommit: "b".repeat(40), headCommit: "h".repeat(40), branch: "fc/x", pushed: true }))).toMatchObject({
      ref: "h".repeat(40),
      applyDiff: false,
    });
    expect(followUpStart(followUp({ baseCommit: "b".repeat(40), headCommit: "b".repeat(40), branch: "fc/x" }))).toMatchObject({
      ref: "b".repeat(40),
      applyDiff: false,
    });
    expect(followUpStart(followUp({ baseCommit: "b".repeat(40), headCommit: "h".repeat(40), branch: "fc/x" }, "d1"))).toMatchObject({
      ref: "b".repeat(40),
      applyDiff: true,
    });
    expect(followUpStart(followUp(undefined))).toBeUndefined();
  });

  it("says why when an unpushed parent kept no diff", () => {
    expect(() => followUpStart(followUp({ baseCommit: "b".repeat(40), headCommit: "h".repeat(40), branch: "fc/x" }))).toThrow(
      /did not push its branch and kept no changes\.diff/,
    );
  });
});

describe("applying the parent's work", () => {
  it("applies a binary-safe diff with the index and commits it as the parent's", async () => {
    const src = tempDir("fc-follow-up-src-");
    gitIn(src, ["init", "-q", "--initial-branch=main"]);
    writeFileSync(join(src, "a.txt"), "one\n");
    gitIn(src, ["add", "-A"]);
    gitIn(src, ["commit", "-qm", "base"]);
    const base = gitIn(src, ["rev-parse", "HEAD"]);
    const dest = tempDir("fc-follow-up-dest-");
    gitIn(dest, ["clone", "-q", src, "."]);
    writeFileSync(join(src, "a.txt"), "one\ntwo\n");
    writeFileSync(join(src, "bin.dat"), Buffer.from([0, 1, 2, 255, 0]));
    gitIn(src, ["add", "-A"]);
    const diff = join(tempDir("fc-follow-up-diff-"), "changes.diff");
    // As the runner writes it: untrimmed, with the binary patch last (it ends with a blank line).
    writeFileSync(diff, execFileSync("git", ["diff", "--binary", "--cached", base], { cwd: src }));
    expect(readFileSync(diff, "utf8")).toMatch(/GIT binary patch[\s\S]*\n\n$/);

    const head = await applyParentWork(dest, diff, "0190aaaa-0000-7000-8000-000000000001");
    expect(gitIn(dest, ["rev-parse", `${head}^`])).toBe(base);
    expect(gitIn(dest, ["log", "-1", "--format=%an|%s", head])).toBe("Flight Control|Flight Control run 0190aaaa-0000-7000-8000-000000000001");
    expect(readFileSync(join(dest, "bin.dat"))).toEqual(Buffer.from([0, 1, 2, 255, 0]));
    expect(gitIn(dest, ["status", "--porcelain"])).toBe("");
  });

  it("names the parent when its diff does not apply", async () => {
    const dest = tempDir("fc-follow-up-bad-");
    gitIn(dest, ["init", "-q"]);
    writeFileSync(join(dest, "a.txt"), "other\n");
    gitIn(dest, ["add", "-A"]);
    gitIn(dest, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]);
    const diff = join(dest, "..", `${Date.now()}.diff`);
    writeFileSync(diff, "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-one\n+***\n");
    await expect(applyParentWork(dest, diff, "0190aaaa-0000-7000-8000-000000000002")).rejects.toThrow(
      /cannot apply the changes of run 0190aaaa-0000-7000-8000-000000000002 to its base commit/,
    );
  });
});
