import { git } from "./git";

/** Pushes the run's branch to origin; throws naming the branch, the remote and git's reason. */
export async function pushBranch(checkout: string, url: string, branch: string, env: Record<string, string>, signal?: AbortSignal): Promise<void> {
  await git(["-C", checkout, "push", "origin", `refs/heads/${branch}:refs/heads/${branch}`],
    `push of branch ${branch} to ${url} was rejected`, { env, signal });
}
