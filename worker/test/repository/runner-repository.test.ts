import { create } from "@bufbuild/protobuf";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createShellAgent } from "../../src/agents/shell";
import { RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { AssignSchema } from "../../src/gen/flightcontrol/v1/worker_pb";
import type { RunLog } from "../../src/run-log";
import { startRun } from "../../src/runner";
import { ArtifactKind } from "../../src/gen/flightcontrol/v1/artifact_pb";
import { createBareRepo, gitIn, gitRoot, startGitDaemon, type GitDaemon } from "../../../testkit/git-server";
import { removeDir, tempDir } from "../../../testkit/temp-dir";
import { waitFor } from "../../../testkit/wait-for";

let root: string;
let daemon: GitDaemon;
beforeAll(async () => {
  root = gitRoot();
  daemon = await startGitDaemon(root);
});
afterAll(async () => {
  await daemon?.stop();
  removeDir(root);
});

let n = 0;
/** One run of the shell agent through the real runner, in its own (or a shared) work dir. */
function shellRun(
  spec: { prompt: string; setupScript?: string; repository?: { url: string; ref?: string; push?: boolean } },
  opts: { workDir?: string; env?: Record<string, string> } = {},
) {
  const lines: string[] = [];
  const log = { log: (_stream: unknown, text: string) => lines.push(text), event: () => {} } as unknown as RunLog;
  const runId = `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;
  const assign = create(AssignSchema, {
    runId,
    attempt: 1,
    firstSeq: 1n,
    spec: { agent: "shell", timeoutSeconds: 60, ...spec },
    env: opts.env ?? {},
  });
  const workDir = opts.workDir ?? tempDir("fc-runner-repo-");
  const run = startRun(assign, log, {
    agents: new Map([["shell", createShellAgent({ baseEnv: { PATH: process.env.PATH ?? "" } })]]),
    workDir,
    workerName: "w-repo",
    killGraceMs: 1000,
  });
  return { run, lines, workDir, runId };
}

const runDirs = (workDir: string) => readdirSync(workDir).filter((f) => f.startsWith("run-"));

describe("the runner's repository phases", () => {
  it("fails the run when the setup script fails, saying so, without starting the agent", async () => {
    createBareRepo(root, "setup-fails", { "a.txt": "a\n" });
    const { run, lines, workDir } = shellRun({
      prompt: "echo agent-ran",
      setupScript: "echo preparing; exit 3",
      repository: { url: daemon.url("setup-fails") },
    });
    const report = await run.done;
    expect(report).toMatchObject({ status: RunStatus.FAILED, error: "setup script failed (exit 3)" });
    expect(report.changes).toBeUndefined();
    expect(lines).toContain("setup: running the setup script");
    expect(lines).toContain("preparing");
    expect(lines).not.toContain("agent-ran");
    expect(runDirs(workDir)).toEqual([]);
  });

  it("runs the setup script with the run's credentials in an empty workspace when there is no repository", async () => {
    const { run, lines } = shellRun(
      { prompt: "ls -A | wc -l", setupScript: 'test "$API_TOKEN" = s3cr3t-value && echo ok' },
      { env: { API_TOKEN: "s3cr3t-value" } },
    );
    const report = await run.done;
    expect(report.status, report.error).toBe(RunStatus.SUCCEEDED);
    expect(lines).toContain("ok");
    expect(report.result?.trim()).toBe("0");
    expect(report.changes).toBeUndefined();
  });

  it("hands over the masked diff before removing the workspace, and counts a binary file with no lines", async () => {
    const bare = createBareRepo(root, "diff", { "a.txt": "one\ntwo\n" });
    const base = gitIn(bare, ["rev-parse", "main"]);
    const { run, lines, workDir, runId } = shellRun(
      {
        prompt: 'printf "one\\nkey=$API_TOKEN\\n" > a.txt && printf "\\000\\001\\002" > blob.bin',
        repository: { url: daemon.url("diff") },
      },
      { env: { API_TOKEN: "s3cr3t-value-123" } },
    );
    const report = await run.done;
    expect(report.status, report.error).toBe(RunStatus.SUCCEEDED);
    expect(report.changes).toMatchObject({
      baseCommit: base,
      filesChanged: 2,
      insertions: 1,
      deletions: 1,
      pushed: false,
      branch: `fc/${runId.slice(0, 8)}`,
    });
    expect(lines.some((l) => /commit: 2 files changed, \+1 -1 \(binary: blob\.bin\)/.test(l))).toBe(true);
    // The diff is kept as the run's changes artifact, staged outside the workspace, which is gone.
    const diffs = report.artifacts.filter((a) => a.kind === ArtifactKind.CHANGES);
    expect(diffs.map((a) => a.name)).toEqual(["changes.diff"]);
    const diff = readFileSync(diffs[0].path, "utf8");
    expect(diff).toContain("-two");
    expect(diff).toContain("+key=***");
    // A binary file comes as a binary patch (git diff --binary), so a follow-up can apply the diff.
    expect(diff).toContain("diff --git a/blob.bin b/blob.bin\nnew file mode 100644");
    expect(diff).toContain("GIT binary patch");
    expect(diff).not.toContain("s3cr3t-value-123");
    expect(existsSync(diffs[0].path)).toBe(true);
    expect(runDirs(workDir)).toEqual([]);
  });

  it("stops a long setup script on cancel: the run is cancelled, the agent never starts, the workspace goes", async () => {
    createBareRepo(root, "setup-slow", { "a.txt": "a\n" });
    const { run, lines, workDir } = shellRun({
      prompt: "echo agent-ran",
      setupScript: "echo setup-begun; sleep 30",
      repository: { url: daemon.url("setup-slow") },
    });
    await waitFor(() => lines.includes("setup-begun"), { what: "the setup script to start" });
    run.stop("cancel");
    const report = await run.done;
    expect(report).toMatchObject({ status: RunStatus.CANCELLED, error: "cancelled" });
    expect(lines).not.toContain("agent-ran");
    expect(runDirs(workDir)).toEqual([]);
  });

  it("commits and reports a failed agent's changes but does not push them", async () => {
    const bare = createBareRepo(root, "agent-fails", { "a.txt": "a\n" });
    const { run, lines } = shellRun({ prompt: "echo more >> a.txt; exit 4", repository: { url: daemon.url("agent-fails"), push: true } });
    const report = await run.done;
    expect(report.status).toBe(RunStatus.FAILED);
    expect(report.changes).toMatchObject({ pushed: false, filesChanged: 1, insertions: 1 });
    expect(lines.some((l) => l.startsWith("push:"))).toBe(false);
    expect(gitIn(bare, ["for-each-ref", "--format=%(refname)"])).toBe("refs/heads/main");
  });

  it("pushes to the spec's URL, not where the agent re-pointed the checkout, and runs none of the agent's hooks", async () => {
    const bare = createBareRepo(root, "repoint", { "a.txt": "a\n" });
    const decoy = createBareRepo(root, "decoy", { "a.txt": "a\n" });
    const hookRan = join(root, "hook-ran");
    const prompt = [
      "echo changed >> a.txt",
      `git remote set-url origin ${decoy}`,
      `printf '#!/bin/sh\\nenv > ${hookRan}\\n' > .git/hooks/pre-push && chmod +x .git/hooks/pre-push`,
    ].join(" && ");
    const { run, runId } = shellRun({ prompt, repository: { url: daemon.url("repoint"), push: true } });
    const report = await run.done;
    expect(report.status, report.error).toBe(RunStatus.SUCCEEDED);
    expect(report.changes?.pushed).toBe(true);
    const branch = `refs/heads/fc/${runId.slice(0, 8)}`;
    expect(gitIn(bare, ["for-each-ref", "--format=%(refname)"]).split("\n")).toContain(branch);
    expect(gitIn(decoy, ["for-each-ref", "--format=%(refname)"])).toBe("refs/heads/main");
    expect(existsSync(hookRan)).toBe(false);
  });

  it("removes the workspace of a run whose clone failed", async () => {
    const { run, workDir } = shellRun({ prompt: "true", repository: { url: daemon.url("missing") } });
    const report = await run.done;
    expect(report.status).toBe(RunStatus.FAILED);
    expect(report.error).toMatch(/^cannot clone git:\/\/.*missing\.git: /);
    expect(report.artifacts).toEqual([]);
    expect(runDirs(workDir)).toEqual([]);
    expect(readdirSync(`${workDir}/mirrors`).filter((f) => !f.endsWith(".lock"))).toEqual([]);
  });

  it("serialises concurrent runs on one new mirror: one clones, the others fetch, all succeed", async () => {
    createBareRepo(root, "busy", { "a.txt": "a\n" });
    const workDir = tempDir("fc-runner-shared-");
    const runs = Array.from({ length: 3 }, () => shellRun({ prompt: "cat a.txt", repository: { url: daemon.url("busy") } }, { workDir }));
    const reports = await Promise.all(runs.map((r) => r.run.done));
    expect(reports.map((r) => r.status)).toEqual([RunStatus.SUCCEEDED, RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]);
    const says = runs.map((r) => r.lines.find((l) => l.includes("mirror")));
    expect(says.filter((l) => l?.includes("into a new mirror"))).toHaveLength(1);
    expect(says.filter((l) => l?.includes("into the cached mirror"))).toHaveLength(2);
    expect(readdirSync(`${workDir}/mirrors`).filter((f) => f.endsWith(".lock"))).toEqual([]);
  });
});
