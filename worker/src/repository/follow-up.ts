import { stat } from "node:fs/promises";
import type { FollowUp } from "../gen/flightcontrol/v1/worker_pb";
import { IDENTITY } from "./changes";
import { git, GitError } from "./git";

/** Where a follow-up's checkout starts: a commit, and whether the parent's diff goes on top of it. */
export interface FollowUpStart {
  ref: string;
  /** The parent's work is its changes.diff, applied to `ref` (its base) and committed. */
  applyDiff: boolean;
  /** A line for the run's log saying where it starts. */
  note: string;
}

/**
 * Where a follow-up starts. Its parent pushed its branch: that branch's head, which the mirror
 * fetched with the branch. Its parent did not push (or could not): the parent's base commit with the
 * parent's diff applied on top. Its parent committed nothing (no changes recorded): the spec's ref,
 * like any run.
 */
export function followUpStart(followUp: FollowUp): FollowUpStart | undefined {
  const c = followUp.parentChanges;
  if (!c?.headCommit) return undefined;
  const parent = `run ${followUp.parentRunId}`;
  if (c.pushed)
    return {
      ref: c.headCommit,
      applyDiff: false,
      note: `follow-up of ${parent}: starting from its pushed branch ${c.branch} at ${c.headCommit.slice(0, 12)}`,
    };
  if (c.headCommit === c.baseCommit)
    return {
      ref: c.baseCommit,
      applyDiff: false,
      note: `follow-up of ${parent}: it changed nothing; starting from its base ${c.baseCommit.slice(0, 12)}`,
    };
  if (!followUp.changesArtifactId) {
    throw new GitError(
      `${parent} did not push its branch and kept no changes.diff (was it over ORCH_ARTIFACT_MAX_FILE_BYTES?), so its work cannot be brought into this follow-up; push the parent's branch (repository.push) or raise the limit and run it again`,
    );
  }
  return {
    ref: c.baseCommit,
    applyDiff: true,
    note: `follow-up of ${parent}: its branch was not pushed; applying its changes.diff to its base ${c.baseCommit.slice(0, 12)}`,
  };
}

/**
 * Applies the parent's diff (`git apply --index`; binary files come as binary patches) to the fresh
 * checkout and commits it as the parent's work, so the follow-up's own diff holds only its own
 * changes. Returns that commit, the follow-up's base.
 */
export async function applyParentWork(checkout: string, diffPath: string, parentRunId: string, signal?: AbortSignal): Promise<string> {
  const at = (args: string[], what: string, env?: Record<string, string>) => git(["-C", checkout, ...args], what, { signal, env });
  if ((await stat(diffPath)).size > 0) {
    await at(
      ["apply", "--index", "--whitespace=nowarn", diffPath],
      `cannot apply the changes of run ${parentRunId} to its base commit (a credential value masked in its changes.diff cannot be restored)`,
    );
  }
  if ((await at(["diff", "--cached", "--name-only"], "cannot list the parent's changes")) !== "") {
    await at(
      [
        "commit",
        "--quiet",
        "--no-verify",
        "--no-gpg-sign",
        "-m",
        `Flight Control run ${parentRunId}\n\nThe changes of run ${parentRunId}, applied for its follow-up.\n`,
      ],
      `cannot commit the changes of run ${parentRunId}`,
      IDENTITY,
    );
  }
  return at(["rev-parse", "HEAD"], "cannot read the follow-up's base commit");
}
