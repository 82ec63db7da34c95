// The push rule of a retried run: an earlier attempt's push of the same run is replaced, someone
// else's commits on the branch never are. Real git against a local bare repository.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitChanges } from "../../src/repository/changes";
import { pushBranch } from "../../src/repository/push";
import { addCommit, createBareRepo, gitIn, gitRoot } from "../../../testkit/git-server";
import { removeDir, tempDir } from "../../../testkit/temp-dir";

const RUN = "0190aaaa-0000-7000-8000-000000000001";
const BRANCH = "fc/0190aaaa";
let root: string;
beforeAll(() => {
  root = gitRoot();
});
afterAll(() => removeDir(root));

/** One attempt of the run: a fresh checkout of main, the agent's edit, Flight Control's commit on BRANCH. */
async function attempt(bare: string, content: string, runId = RUN) {
  const checkout = join(tempDir("fc-push-attempt-"), "co");
  gitIn(root, ["clone", "--quiet", bare, checkout]);
  const base = gitIn(checkout, ["rev-parse", "HEAD"]);
  gitIn(checkout, ["checkout", "--quiet", "-b", BRANCH]);
  writeFileSync(join(checkout, "work.txt"), content);
  const changes = await commitChanges({
    checkout,
    runId,
    prompt: "do the work",
    baseCommit: base,
    branch: BRANCH,
    diffPath: join(checkout, "..", "changes.diff"),
    mask: (t) => t,
  });
  return { checkout, head: changes.headCommit, push: () => pushBranch({ checkout, url: bare, branch: BRANCH, runId, env: {} }) };
}

const tipOf = (bare: string) => gitIn(bare, ["rev-parse", `refs/heads/${BRANCH}`]);

describe("pushing a run's branch", () => {
  it("replaces the branch an earlier attempt of the same run pushed, although it does not fast-forward", async () => {
    const bare = createBareRepo(root, "retry", { "a.txt": "a\n" });
    const first = await attempt(bare, "first attempt\n");
    await first.push();
    expect(tipOf(bare)).toBe(first.head);
    const retry = await attempt(bare, "second attempt\n");
    // Not a fast-forward: the retry started again from main.
    expect(() => gitIn(retry.checkout, ["merge-base", "--is-ancestor", first.head, retry.head])).toThrow();
    await retry.push();
    expect(tipOf(bare)).toBe(retry.head);
  });

  it("refuses to overwrite someone else's commit on the branch, and leaves it there", async () => {
    const bare = createBareRepo(root, "taken", { "a.txt": "a\n" });
    const theirs = addCommit(bare, BRANCH, { "theirs.txt": "someone else's work\n" }, "their work");
    const run = await attempt(bare, "mine\n");
    await expect(run.push()).rejects.toThrow(
      new RegExp(
        `^push of branch ${BRANCH} to .*taken\\.git was refused by the worker: the remote's ${BRANCH} is at ${theirs.slice(0, 12)}, which is neither`,
      ),
    );
    expect(tipOf(bare)).toBe(theirs);
  });

  it("refuses when someone built on the earlier attempt's push: their commit is the tip now", async () => {
    const bare = createBareRepo(root, "built-on", { "a.txt": "a\n" });
    const first = await attempt(bare, "first attempt\n");
    await first.push();
    const theirs = addCommit(bare, BRANCH, { "review.txt": "a reviewer's fix\n" }, "review fix");
    const retry = await attempt(bare, "second attempt\n");
    await expect(retry.push()).rejects.toThrow(/was refused by the worker: .*someone else's commits/);
    expect(tipOf(bare)).toBe(theirs);
  });

  it("does not take another run's commit for its own", async () => {
    const bare = createBareRepo(root, "other-run", { "a.txt": "a\n" });
    const other = await attempt(bare, "another run\n", "0190bbbb-0000-7000-8000-000000000002");
    await other.push();
    const run = await attempt(bare, "mine\n");
    await expect(run.push()).rejects.toThrow(/was refused by the worker/);
    expect(tipOf(bare)).toBe(other.head);
  });

  it("fast-forwards a branch whose tip its work builds on", async () => {
    const bare = createBareRepo(root, "ff", { "a.txt": "a\n" });
    // The branch exists on the remote at main's commit: the run's base.
    gitIn(bare, ["branch", BRANCH, "main"]);
    const run = await attempt(bare, "on top\n");
    await run.push();
    expect(tipOf(bare)).toBe(run.head);
  });
});
