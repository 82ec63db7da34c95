import { writeFile } from "node:fs/promises";
import type { Masker } from "../masking";
import { git, GitError, lastMeaningfulLine, runGit } from "./git";

/** Who the run's commit is by: Flight Control, not whoever's git config is on the worker. */
export const IDENTITY = {
  GIT_AUTHOR_NAME: "Flight Control",
  GIT_AUTHOR_EMAIL: "flightcontrol@localhost",
  GIT_COMMITTER_NAME: "Flight Control",
  GIT_COMMITTER_EMAIL: "flightcontrol@localhost",
};

export interface CommittedChanges {
  baseCommit: string;
  headCommit: string;
  branch: string;
  filesChanged: number;
  insertions: number;
  deletions: number;
  /** Paths whose diff is binary (counted as changed, with no lines). */
  binaryFiles: string[];
}

export interface CommitOptions {
  checkout: string;
  runId: string;
  prompt: string;
  baseCommit: string;
  branch: string;
  /** The unified diff base..head goes here, masked. */
  diffPath: string;
  mask: Masker;
  signal?: AbortSignal;
}

/**
 * Commits everything the agent left in the checkout to the run's branch, then measures base..head
 * (commits the agent made itself included) and writes the unified diff, credential values masked,
 * for upload as an artifact.
 */
export async function commitChanges(opts: CommitOptions): Promise<CommittedChanges> {
  const { checkout: dir, signal } = opts;
  const at = (args: string[], what: string, env?: Record<string, string>) => git(["-C", dir, ...args], what, { signal, env });
  await at(["add", "-A"], "cannot stage the run's changes");
  const staged = await at(["diff", "--cached", "--name-only", "-z"], "cannot list the run's changes");
  if (staged !== "") {
    const firstLine =
      opts.prompt
        .split("\n")
        .find((l) => l.trim() !== "")
        ?.trim()
        .slice(0, 72) ?? "";
    const message = `Flight Control run ${opts.runId}\n\n${firstLine}\n`;
    await at(["commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message], "cannot commit the run's changes", IDENTITY);
  }
  const headCommit = await at(["rev-parse", "HEAD"], "cannot read the run's commit");
  // The agent may have switched branches: the run's branch is wherever its work ended.
  await at(["update-ref", `refs/heads/${opts.branch}`, headCommit], `cannot move branch ${opts.branch}`);
  const numstat = await at(["diff", "--numstat", "-z", "--no-renames", opts.baseCommit, headCommit], "cannot measure the run's changes");
  const counts = parseNumstat(numstat);
  // --binary: binary files as applicable patches, so a follow-up can `git apply` the whole diff.
  // Not trimmed: a binary patch ends with a blank line, without which it is corrupt.
  const diff = await runGit(["-C", dir, "diff", "--binary", "--no-renames", "--no-color", opts.baseCommit, headCommit], { signal });
  if (diff.code !== 0) throw new GitError(`cannot diff the run's changes: ${lastMeaningfulLine(diff.stderr) || `git exited with code ${diff.code}`}`);
  await writeFile(opts.diffPath, opts.mask(diff.stdout), { mode: 0o600 });
  return { baseCommit: opts.baseCommit, headCommit, branch: opts.branch, ...counts };
}

/** `git diff --numstat -z`: "added\tdeleted\tpath\0" per file, "-\t-\t" for a binary one. */
export function parseNumstat(out: string) {
  let filesChanged = 0;
  let insertions = 0;
  let deletions = 0;
  const binaryFiles: string[] = [];
  for (const entry of out.split("\0")) {
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(entry.replace(/^\n/, ""));
    if (!m) continue;
    filesChanged++;
    if (m[1] === "-") binaryFiles.push(m[3]);
    else {
      insertions += Number(m[1]);
      deletions += Number(m[2]);
    }
  }
  return { filesChanged, insertions, deletions, binaryFiles };
}
