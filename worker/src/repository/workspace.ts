import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { RunChangesSchema, type RunChanges } from "../gen/flightcontrol/v1/run_pb";
import type { Repository } from "../gen/flightcontrol/v1/spec_pb";
import type { Masker } from "../masking";
import { commitChanges } from "./changes";
import { checkOut } from "./checkout";
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
  signal?: AbortSignal;
  say: (text: string) => void;
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
  const baseCommit = await withGitAuth(opts.gitEnv, (env) =>
    withMirror({ workDir: opts.workDir, url: repository.url, env, signal: opts.signal, say: opts.say }, (mirror) =>
      checkOut({ mirror, url: repository.url, ref: repository.ref, branch, dest: cwd, signal: opts.signal })));
  opts.say(`checkout: ${repository.ref || "default branch"} at ${baseCommit.slice(0, 12)} on branch ${branch} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { cwd, repo: { repository, baseCommit, branch } };
}

export interface FinishOptions {
  runId: string;
  prompt: string;
  gitEnv: Record<string, string>;
  /** Push when the spec asks and the agent succeeded. */
  push: boolean;
  diffPath: string;
  mask: Masker;
  signal?: AbortSignal;
  say: (text: string) => void;
}

/** Commit and push phases: the run's work committed to its branch, measured, and pushed if asked. */
export async function finishWorkspace(ws: Workspace & { repo: NonNullable<Workspace["repo"]> }, opts: FinishOptions): Promise<RunChanges> {
  const { repository, baseCommit, branch } = ws.repo;
  const c = await commitChanges({
    checkout: ws.cwd, runId: opts.runId, prompt: opts.prompt, baseCommit, branch, diffPath: opts.diffPath, mask: opts.mask, signal: opts.signal,
  });
  const binary = c.binaryFiles.length ? ` (binary: ${c.binaryFiles.join(", ")})` : "";
  opts.say(`commit: ${c.filesChanged} files changed, +${c.insertions} -${c.deletions}${binary}; branch ${branch} at ${c.headCommit.slice(0, 12)}`);
  const changed = c.headCommit !== baseCommit;
  let pushed = false;
  if (opts.push && changed) {
    opts.say(`push: pushing ${branch} to ${repository.url}`);
    await withGitAuth(opts.gitEnv, (env) => pushBranch(ws.cwd, repository.url, branch, env, opts.signal));
    pushed = true;
    opts.say(`push: ${branch} pushed`);
  } else if (opts.push) {
    opts.say("push: nothing changed, nothing to push");
  }
  return create(RunChangesSchema, {
    baseCommit, headCommit: c.headCommit, branch, pushed, filesChanged: c.filesChanged, insertions: c.insertions, deletions: c.deletions,
  });
}
