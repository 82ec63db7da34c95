import { GitError, lastMeaningfulLine, runGit } from "./git";

/**
 * Pushes the run's branch to origin. On refusal, throws naming the branch, the remote and git's
 * reason, with what the remote said (a hook's message says why better than "hook declined").
 */
export async function pushBranch(checkout: string, url: string, branch: string, env: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const r = await runGit(["-C", checkout, "push", "origin", `refs/heads/${branch}:refs/heads/${branch}`], { env, signal });
  if (r.code === 0) return;
  const remote = r.stderr
    .split(/[\r\n]+/)
    .map((l) => /^remote:\s*(.*)$/.exec(l.trim())?.[1]?.trim() ?? "")
    .filter((l) => l !== "" && !/^(Counting|Compressing|Enumerating|Total|Resolving|Writing)/.test(l));
  const said = remote.length ? `; the remote said: ${remote.slice(-3).join(" / ").slice(0, 500)}` : "";
  throw new GitError(`push of branch ${branch} to ${url} was rejected: ${lastMeaningfulLine(r.stderr) || `git exited with code ${r.code}`}${said}`);
}
