import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GitError, git, lastMeaningfulLine, runGit } from "./git";

/**
 * Pushes the run's branch to `url`. Not from the checkout: it is the agent's, so its .git/config
 * (remote URLs, `insteadOf` rules) and hooks are whatever the agent made them, and git would read
 * them with the credential in its environment (askpass would hand the token to any host the agent
 * named; a pre-push hook would see it). The branch is first copied, without credentials, into a
 * fresh bare repository of the worker's, and pushed from there with hooks off. On refusal, throws
 * naming the branch, the remote and git's reason, with what the remote said.
 */
export async function pushBranch(checkout: string, url: string, branch: string, env: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const ref = `refs/heads/${branch}:refs/heads/${branch}`;
  const clean = await mkdtemp(join(tmpdir(), "fc-push-"));
  let r: Awaited<ReturnType<typeof runGit>>;
  try {
    await git(["init", "--bare", "-q", clean], "prepare the push", { signal });
    await git(["-C", clean, "fetch", "-q", "--no-tags", checkout, ref], `copy branch ${branch} for the push`, { signal });
    r = await runGit(["-C", clean, "-c", "core.hooksPath=/dev/null", "push", url, ref], { env, signal });
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
