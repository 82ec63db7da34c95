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

/** The first line of every commit Flight Control makes for a run: how a retry recognises its own push (push.ts). */
export const runCommitSubject = (runId: string) => `Flight Control run ${runId}`;

/**
 * How the diff is made, whatever the worker's git config says (diff.noprefix, diff.external,
 * textconv drivers, renames): `git apply` on the base must reproduce the head, since a follow-up of
 * an unpushed run starts from exactly that. --binary writes binary files as applicable patches
 * instead of "Binary files differ".
 */
const DIFF_OPTIONS = ["--binary", "--no-renames", "--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/"];

/**
 * Commits everything the agent left in the checkout to the run's branch, then measures base..head
 * (commits the agent made itself included) and writes the diff, credential values masked, for
 * upload as an artifact. The branch's tip is always a commit of Flight Control's naming the run —
 * an empty one on top when the agent committed all its work itself — so that a retry of the run
 * can tell its own earlier push from someone else's work (push.ts).
 */
export async function commitChanges(opts: CommitOptions): Promise<CommittedChanges> {
  const { checkout: dir, signal } = opts;
  const at = (args: string[], what: string, env?: Record<string, string>) => git(["-C", dir, ...args], what, { signal, env });
  await at(["add", "-A"], "cannot stage the run's changes");
  const staged = await at(["diff", "--cached", "--name-only", "-z"], "cannot list the run's changes");
  const agentCommitted = (await at(["rev-parse", "HEAD"], "cannot read the run's commit")) !== opts.baseCommit;
  if (staged !== "" || agentCommitted) {
    const firstLine =
      opts.prompt
        .split("\n")
        .find((l) => l.trim() !== "")
        ?.trim()
        .slice(0, 72) ?? "";
    const message = `${runCommitSubject(opts.runId)}\n\n${firstLine}\n`;
    const empty = staged === "" ? ["--allow-empty"] : [];
    await at(["commit", "--quiet", "--no-verify", "--no-gpg-sign", ...empty, "-m", message], "cannot commit the run's changes", IDENTITY);
  }
  const headCommit = await at(["rev-parse", "HEAD"], "cannot read the run's commit");
  // The agent may have switched branches: the run's branch is wherever its work ended.
  await at(["update-ref", `refs/heads/${opts.branch}`, headCommit], `cannot move branch ${opts.branch}`);
  const numstat = await at(["diff", "--numstat", "-z", "--no-renames", opts.baseCommit, headCommit], "cannot measure the run's changes");
  const counts = parseNumstat(numstat);
  // Raw bytes: git() trims (a diff may end in a context line that is one space) and decodes as UTF-8.
  const diff = await runGit(["-C", dir, "diff", ...DIFF_OPTIONS, opts.baseCommit, headCommit], { signal });
  if (diff.code !== 0) throw new GitError(`cannot diff the run's changes: ${lastMeaningfulLine(diff.stderr) || `git exited with code ${diff.code}`}`);
  await writeFile(opts.diffPath, maskBytes(diff.stdoutBytes, opts.mask), { mode: 0o600 });
  return { baseCommit: opts.baseCommit, headCommit, branch: opts.branch, ...counts };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Masks credential values in bytes, changing nothing else: UTF-8 text round-trips exactly through a
 * string. A diff of text in another encoding is masked as Latin-1, one character per byte, which
 * keeps every byte and still finds every ASCII credential value (tokens and keys are ASCII).
 */
export function maskBytes(bytes: Buffer, mask: Masker): Buffer {
  try {
    return Buffer.from(mask(utf8.decode(bytes)), "utf8");
  } catch {
    return Buffer.from(mask(bytes.toString("latin1")), "latin1");
  }
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
