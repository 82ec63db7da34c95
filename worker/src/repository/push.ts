import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommitSubject } from "./changes";
import { GitError, git, lastMeaningfulLine, runGit } from "./git";

export interface PushOptions {
  /** The agent's checkout holding the run's branch. */
  checkout: string;
  /** The spec's URL (never the checkout's origin). */
  url: string;
  branch: string;
  /** Whose commit the branch's tip may be replaced (an earlier attempt of this run). */
  runId: string;
  /** Authentication for git (git-auth.ts). */
  env: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * Pushes the run's branch to `url`. Not from the checkout: it is the agent's, so its .git/config
 * (remote URLs, `insteadOf` rules) and hooks are whatever the agent made them, and git would read
 * them with the credential in its environment (askpass would hand the token to any host the agent
 * named; a pre-push hook would see it). The branch is first copied, without credentials, into a
 * fresh bare repository of the worker's, and pushed from there with hooks off.
 *
 * A retry of a run that already pushed starts again from the base, so its branch does not
 * fast-forward from the earlier push. What the remote has is replaced only when it is that earlier
 * push — its tip is a commit Flight Control made for this run (changes.ts) — or when the new head
 * fast-forwards from it; anything else is someone else's work and the push is refused, naming the
 * branch. The push carries --force-with-lease on the tip it looked at, so a commit pushed between
 * the look and the push is never overwritten either.
 *
 * On refusal, throws naming the branch, the remote and git's reason, with what the remote said.
 */
export async function pushBranch(opts: PushOptions): Promise<void> {
  const { url, branch, env, signal } = opts;
  const ref = `refs/heads/${branch}`;
  const clean = await mkdtemp(join(tmpdir(), "fc-push-"));
  let r: Awaited<ReturnType<typeof runGit>>;
  try {
    await git(["init", "--bare", "-q", clean], "prepare the push", { signal });
    await git(["-C", clean, "fetch", "-q", "--no-tags", opts.checkout, `${ref}:${ref}`], `copy branch ${branch} for the push`, { signal });
    const tip = await remoteTip(clean, url, ref, env, signal);
    if (tip) await mayReplace(clean, tip, opts);
    r = await runGit(["-C", clean, "-c", "core.hooksPath=/dev/null", "push", `--force-with-lease=${ref}:${tip ?? ""}`, url, `${ref}:${ref}`], {
      env,
      signal,
    });
  } finally {
    await rm(clean, { recursive: true, force: true });
  }
  if (r.code === 0) return;
  const remote = r.stderr
    .split(/[\r\n]+/)
    .map((l) => /^remote:\s*(.*)$/.exec(l.trim())?.[1]?.trim() ?? "")
    .filter((l) => l !== "" && !/^(Counting|Compressing|Enumerating|Total|Resolving|Writing)/.test(l));
  const said = remote.length ? `; the remote said: ${remote.slice(-3).join(" / ").slice(0, 500)}` : "";
  throw new GitError(`push of branch ${branch} to ${url} was rejected: ${lastMeaningfulLine(r.stderr) || `git exited with code ${r.code}`}${said}`);
}

/** The commit the remote's `ref` points at, or undefined when it has no such branch. */
async function remoteTip(clean: string, url: string, ref: string, env: Record<string, string>, signal?: AbortSignal): Promise<string | undefined> {
  const out = await git(["-C", clean, "ls-remote", "--", url, ref], `cannot read the branches of ${url} before the push`, { env, signal });
  for (const line of out.split("\n")) {
    const [id, name] = line.split("\t");
    if (name === ref) return id;
  }
  return undefined;
}

/** Throws unless the remote's tip is this run's earlier push, or the run's head fast-forwards from it. */
async function mayReplace(clean: string, tip: string, opts: PushOptions): Promise<void> {
  const { url, branch, env, signal } = opts;
  const ref = `refs/heads/${branch}`;
  await git(["-C", clean, "fetch", "-q", "--no-tags", url, `+${ref}:refs/fc/remote-tip`], `cannot fetch branch ${branch} of ${url} before the push`, {
    env,
    signal,
  });
  const subject = await git(["-C", clean, "log", "-1", "--format=%s", tip], `cannot read commit ${tip} of ${url}`, { signal });
  if (subject === runCommitSubject(opts.runId)) return;
  const ff = await runGit(["-C", clean, "merge-base", "--is-ancestor", tip, ref], { signal });
  if (ff.code === 0) return;
  throw new GitError(
    `push of branch ${branch} to ${url} was refused by the worker: the remote's ${branch} is at ${tip.slice(0, 12)}, which is neither an earlier push of this run nor an ancestor of its work, so pushing would overwrite someone else's commits; set repository.branch to a new name or delete that branch`,
  );
}
