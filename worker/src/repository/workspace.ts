import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { RunChangesSchema, type RunChanges } from "../gen/flightcontrol/v1/run_pb";
import type { Repository } from "../gen/flightcontrol/v1/spec_pb";
import type { FollowUp } from "../gen/flightcontrol/v1/worker_pb";
import type { ArtifactFetcher } from "../artifacts/download";
import type { Masker } from "../masking";
import { commitChanges } from "./changes";
import { checkOut } from "./checkout";
import { applyParentWork, followUpStart } from "./follow-up";
import { GitError } from "./git";
import { withGitAuth } from "./git-auth";
import { withMirror } from "./mirror";
import { pushBranch } from "./push";

/** Where a run's agent works: the checkout of its repository, or an empty directory. */
export interface Workspace {
  cwd: string;
  repo?: { repository: Repository; baseCommit: string; branch: string };
}

export interface WorkspaceOptions {
  /** The worker's work dir (mirror cache). */
  workDir: string;
  /** The run's private dir; the workspace is made inside it. */
  runDir: string;
  runId: string;
  repository?: Repository;
  gitEnv: Record<string, string>;
  /** The mirror cache's bound (ORCH_WORKER_MIRROR_CACHE_MB). */
  mirrorCacheBytes?: number;
  signal?: AbortSignal;
  say: (text: string) => void;
  /** A follow-up's parent (Assign.follow_up), and how to fetch the parent's diff when it must be applied. */
  followUp?: FollowUp;
  fetchArtifact?: ArtifactFetcher;
}

/** The run's branch when the spec names none: fc/ and the first 8 characters of the run id. */
export const defaultBranch = (runId: string) => `fc/${runId.slice(0, 8)}`;

/** Checkout phase: the repository at its ref on the run's branch, from the worker's mirror cache. */
export async function prepareWorkspace(opts: WorkspaceOptions): Promise<Workspace> {
  const cwd = join(opts.runDir, "workspace");
  const repository = opts.repository;
  if (!repository?.url) {
    await mkdir(cwd);
    return { cwd };
  }
  const branch = repository.branch || defaultBranch(opts.runId);
  const started = Date.now();
  const start = opts.followUp && followUpStart(opts.followUp);
  if (start) opts.say(`checkout: ${start.note}`);
  const ref = start?.ref ?? repository.ref;
  let baseCommit = await withGitAuth(opts.gitEnv, (env) =>
    withMirror(
      { workDir: opts.workDir, url: repository.url, env, maxCacheBytes: opts.mirrorCacheBytes, signal: opts.signal, say: opts.say },
      (mirror) => checkOut({ mirror, url: repository.url, ref, branch, dest: cwd, signal: opts.signal }),
    ),
  );
  opts.say(
    `checkout: ${ref || "default branch"} at ${baseCommit.slice(0, 12)} on branch ${branch} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (start?.applyDiff && opts.followUp) {
    const { parentRunId, changesArtifactId, changesSha256 } = opts.followUp;
    if (!opts.fetchArtifact) throw new GitError("this worker cannot fetch a parent run's changes.diff");
    const diffPath = join(opts.runDir, "parent-changes.diff");
    await opts.fetchArtifact(changesArtifactId, changesSha256, diffPath, opts.signal);
    baseCommit = await applyParentWork(cwd, diffPath, parentRunId, opts.signal);
    opts.say(`checkout: the changes of run ${parentRunId} committed at ${baseCommit.slice(0, 12)}; this run's diff starts there`);
  }
  return { cwd, repo: { repository, baseCommit, branch } };
}

export interface CommitPhaseOptions {
  runId: string;
  prompt: string;
  diffPath: string;
  mask: Masker;
  signal?: AbortSignal;
  say: (text: string) => void;
}

type RepoWorkspace = Workspace & { repo: NonNullable<Workspace["repo"]> };

/** Commit phase: the run's work committed to its branch and measured; the diff written to diffPath. */
export async function commitWorkspace(ws: RepoWorkspace, opts: CommitPhaseOptions): Promise<RunChanges> {
  const { baseCommit, branch } = ws.repo;
  const c = await commitChanges({
    checkout: ws.cwd,
    runId: opts.runId,
    prompt: opts.prompt,
    baseCommit,
    branch,
    diffPath: opts.diffPath,
    mask: opts.mask,
    signal: opts.signal,
  });
  const binary = c.binaryFiles.length ? ` (binary: ${c.binaryFiles.join(", ")})` : "";
  opts.say(`commit: ${c.filesChanged} files changed, +${c.insertions} -${c.deletions}${binary}; branch ${branch} at ${c.headCommit.slice(0, 12)}`);
  return create(RunChangesSchema, {
    baseCommit,
    headCommit: c.headCommit,
    branch,
    pushed: false,
    filesChanged: c.filesChanged,
    insertions: c.insertions,
    deletions: c.deletions,
  });
}

/**
 * Push phase, when the spec asks: the run's branch to the remote if the run changed something.
 * Returns whether it pushed; throws (the run fails) when the remote refuses.
 */
export async function pushWorkspace(
  ws: RepoWorkspace,
  changes: RunChanges,
  gitEnv: Record<string, string>,
  opts: { runId: string; signal?: AbortSignal; say: (text: string) => void },
): Promise<boolean> {
  const { repository, branch } = ws.repo;
  if (changes.headCommit === changes.baseCommit) {
    opts.say("push: nothing changed, nothing to push");
    return false;
  }
  opts.say(`push: pushing ${branch} to ${repository.url}`);
  await withGitAuth(gitEnv, (env) => pushBranch({ checkout: ws.cwd, url: repository.url, branch, runId: opts.runId, env, signal: opts.signal }));
  opts.say(`push: ${branch} pushed`);
  return true;
}
