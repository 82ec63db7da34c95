import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialService } from "../../src/gen/flightcontrol/v1/credential_pb";
import { RunService, RunStatus, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { JobSpecSchema } from "../../src/gen/flightcontrol/v1/spec_pb";
import { client } from "../../../testkit/clients";
import {
  addCommit,
  createBareRepo,
  gitIn,
  gitRoot,
  rejectPushes,
  startGitDaemon,
  startGitHttpServer,
  type GitDaemon,
  type GitHttpServer,
} from "../../../testkit/git-server";
import { ADMIN_KEY } from "../../../testkit/keys";
import { ArtifactKind } from "../../src/gen/flightcontrol/v1/artifact_pb";
import { applyOnto, downloadEverywhere, gitBytes, runDirsOf, sampleCommandLines } from "./repository-support";
import { removeDir } from "../../../testkit/temp-dir";
import { haveSshd, startSshGitServer, type SshGitServer } from "../../../testkit/ssh-server";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";

const TOKEN = "tok-3f9a1c7e5b2d4a6f8e0c";

let server: TestServer;
let worker: WorkerProcess;
let daemon: GitDaemon;
let http: GitHttpServer;
let sshd: SshGitServer | undefined;
let root: string;
const runs = () => client(RunService, server.url, ADMIN_KEY);

beforeAll(async () => {
  root = gitRoot();
  server = await startTestServer();
  worker = startWorker(server.url, { name: "repo-1", capacity: 2 });
  daemon = await startGitDaemon(root);
  http = await startGitHttpServer(root, { username: "robot", token: TOKEN });
  if (haveSshd) sshd = await startSshGitServer(root);
  await waitFor(async () => (await client(WorkerService, server.url, ADMIN_KEY).listWorkers({})).workers.length === 1, { what: "worker to connect" });
});
afterAll(async () => {
  await worker?.kill();
  await daemon?.stop();
  await http?.stop();
  await sshd?.stop();
  await server?.cleanup();
  if (root) removeDir(root);
});

type Spec = MessageInitShape<typeof JobSpecSchema>;

async function runToEnd(spec: Spec): Promise<Run> {
  const { run } = await runs().createRun({ spec });
  return waitFor(
    async () => {
      const r = (await runs().getRun({ id: run!.id })).run!;
      return r.finishTime ? r : undefined;
    },
    { what: `run ${run!.id} to finish`, timeoutMs: 60_000 },
  );
}

async function logText(runId: string): Promise<string> {
  const { items } = await runs().listRunLogs({ runId });
  return items
    .map((i) =>
      i.payload.case === "log" ? i.payload.value.text : JSON.stringify(i.payload.value, (_, v) => (typeof v === "bigint" ? String(v) : v)),
    )
    .join("\n");
}

/** files/insertions/deletions of `git diff --numstat base branch` in the bare repository. */
function numstat(bare: string, base: string, branch: string) {
  const rows = gitIn(bare, ["diff", "--numstat", base, `refs/heads/${branch}`])
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t"));
  return {
    filesChanged: rows.length,
    insertions: rows.reduce((n, r) => n + (Number(r[0]) || 0), 0),
    deletions: rows.reduce((n, r) => n + (Number(r[1]) || 0), 0),
  };
}

describe("runs on a repository", () => {
  const agents: [string, { prompt: string; provider?: string; model?: string }][] = [
    [
      "shell",
      {
        prompt:
          "printf 'changed\\n' > README.md && mkdir -p src && printf 'a\\nb\\nc\\n' > src/new.txt && rm -f old.txt && printf '\\000\\001\\002\\377' > logo.bin",
      },
    ],
    ["goose", { prompt: "edit_file=README.md edit_file=src/new.txt", provider: "openai", model: "gpt-4o" }],
    ["claude-code", { prompt: "edit_file=README.md edit_file=src/new.txt" }],
    ["codex", { prompt: "edit_file=README.md edit_file=src/new.txt" }],
  ];
  for (const [agent, spec] of agents) {
    it(`${agent}: checks out, runs the setup script, commits the agent's edits, pushes the branch and keeps its diff and artifacts`, async () => {
      // out/ is build output: ignored by git, kept as an artifact.
      const bare = createBareRepo(root, `proj-${agent}`, { "README.md": "hello\nworld\n", "old.txt": "gone\n", ".gitignore": "out/\n" });
      const base = gitIn(bare, ["rev-parse", "refs/heads/main"]);
      const run = await runToEnd({
        agent,
        ...spec,
        setupScript:
          "echo installing; test -f README.md && echo setup-saw-readme > .setup-marker && rm .setup-marker && pwd && mkdir -p out && echo built-by-setup > out/build.log",
        repository: { url: daemon.url(`proj-${agent}`), push: true },
        artifactPaths: ["out/*.log"],
      });
      const logs = await logText(run.id);
      expect(run.status, `${run.error}\n${logs}\n${worker.output()}`).toBe(RunStatus.SUCCEEDED);
      const branch = `fc/${run.id.slice(0, 8)}`;
      expect(run.changes).toMatchObject({ baseCommit: base, branch, pushed: true });
      expect(run.changes!.headCommit).not.toBe(base);
      // The pushed branch on the remote is the run's commit, and the counts are git's.
      expect(gitIn(bare, ["rev-parse", `refs/heads/${branch}`])).toBe(run.changes!.headCommit);
      expect(numstat(bare, base, branch)).toEqual({
        filesChanged: run.changes!.filesChanged,
        insertions: run.changes!.insertions,
        deletions: run.changes!.deletions,
      });
      expect(run.changes!.filesChanged).toBeGreaterThanOrEqual(2);
      expect(gitIn(bare, ["log", "-1", "--format=%an <%ae>|%s", branch])).toBe(
        `Flight Control <flightcontrol@localhost>|Flight Control run ${run.id}`,
      );
      expect(logs).toContain("setup: running the setup script");
      expect(logs).toContain("installing");
      expect(logs).toMatch(/setup: done in/);
      expect(logs).toMatch(/push: fc\/.* pushed/);
      // The agent ran in the checkout.
      expect(logs).toMatch(/\/workspace/);

      // The diff is listed as the run's changes artifact and is, byte for byte, git's diff of the pushed branch.
      const { artifacts } = await runs().listArtifacts({ runId: run.id });
      expect(artifacts.map((a) => [a.name, a.kind]).sort()).toEqual([
        ["changes.diff", ArtifactKind.CHANGES],
        ["out/build.log", ArtifactKind.FILE],
      ]);
      const diff = await downloadEverywhere(server, artifacts.find((a) => a.kind === ArtifactKind.CHANGES)!);
      expect(diff.equals(gitBytes(bare, ["diff", "--binary", "--no-renames", base, `refs/heads/${branch}`]))).toBe(true);
      // A follow-up of an unpushed run relies on it: the base plus the diff is the pushed tree.
      expect(applyOnto(bare, base, diff)).toBe(gitIn(bare, ["rev-parse", `refs/heads/${branch}^{tree}`]));
      if (agent === "shell") {
        expect(diff.toString("latin1")).toContain("diff --git a/logo.bin b/logo.bin\nnew file mode 100644");
        expect(diff.toString("latin1")).toContain("GIT binary patch");
        expect(logs).toMatch(/commit: \d+ files changed, .*\(binary: logo\.bin\)/);
      }
      const build = await downloadEverywhere(server, artifacts.find((a) => a.name === "out/build.log")!);
      expect(build.toString()).toBe("built-by-setup\n");
      expect(runDirsOf(worker.workDir, run.id)).toEqual([]);
    });
  }

  it("masks a credential value the agent wrote into a file in the diff it keeps; the pushed commit holds what the agent wrote", async () => {
    const bare = createBareRepo(root, "leaky", { "a.txt": "a\n" });
    const secret = "sk-diff-5e7a1c3b9d2f4680";
    const { credential } = await client(CredentialService, server.url, ADMIN_KEY).createCredential({
      name: "leaky-token",
      env: { API_TOKEN: secret },
    });
    const run = await runToEnd({
      agent: "shell",
      prompt: 'printf "token=%s\\n" "$API_TOKEN" > config.env',
      credentialIds: [credential!.id],
      repository: { url: daemon.url("leaky"), push: true },
    });
    expect(run.status, run.error).toBe(RunStatus.SUCCEEDED);
    const changes = (await runs().listArtifacts({ runId: run.id })).artifacts.find((a) => a.kind === ArtifactKind.CHANGES)!;
    const diff = (await downloadEverywhere(server, changes)).toString("utf8");
    expect(diff).toContain("+token=***\n");
    expect(diff).not.toContain(secret);
    // Masking is of what Flight Control stores and shows: the remote has the agent's commit as written.
    expect(gitIn(bare, ["show", `refs/heads/${run.changes!.branch}:config.env`])).toBe(`token=${secret}`);
  });

  it("checks out a named branch and commits to a named branch; a run that changes nothing pushes nothing", async () => {
    const bare = createBareRepo(root, "branches", { "a.txt": "a\n" });
    const dev = addCommit(bare, "dev", { "dev.txt": "dev\n" }, "dev work");
    const run = await runToEnd({
      agent: "shell",
      prompt: "test -f dev.txt && git rev-parse --abbrev-ref HEAD",
      repository: { url: daemon.url("branches"), ref: "dev", branch: "feature/x", push: true },
    });
    expect(run.status, run.error).toBe(RunStatus.SUCCEEDED);
    expect(run.result).toBe("feature/x");
    expect(run.changes).toMatchObject({ baseCommit: dev, headCommit: dev, branch: "feature/x", pushed: false, filesChanged: 0 });
    expect(() => gitIn(bare, ["rev-parse", "--verify", "--quiet", "refs/heads/feature/x"])).toThrow();
  });

  it("authenticates over HTTP with a token that appears in no argv, config, environment or log", async () => {
    createBareRepo(root, "private", { "secret-project.txt": "v1\n" });
    const { credential } = await client(CredentialService, server.url, ADMIN_KEY).createCredential({
      name: "git-http",
      env: { GIT_TOKEN: TOKEN, GIT_USERNAME: "robot" },
    });
    const seen = new Set<string>();
    const sampling = sampleCommandLines((argv) => seen.add(argv.join(" ")));
    let run: Run;
    try {
      run = await runToEnd({
        agent: "shell",
        prompt: "echo config:; cat .git/config; echo env:; env | grep -ci -e GIT_TOKEN -e ASKPASS || true; echo tok >> secret-project.txt",
        repository: { url: http.url("private"), credentialId: credential!.id, push: true },
      });
    } finally {
      sampling.stop();
    }
    const logs = await logText(run.id);
    expect(run.status, `${run.error}\n${logs}`).toBe(RunStatus.SUCCEEDED);
    expect(run.changes).toMatchObject({ pushed: true, filesChanged: 1, insertions: 1, deletions: 0 });
    // git really authenticated: the server saw the token (and refused requests without it).
    expect(http.authorizations).toContain(`Basic ${Buffer.from(`robot:${TOKEN}`).toString("base64")}`);
    expect(logs).toContain(`url = ${http.url("private")}`);
    expect(logs).toMatch(/env:\n0/);
    expect(logs).not.toContain(TOKEN);
    // Masking would have hidden a leak: nothing was masked either.
    expect(logs).not.toContain("***");
    expect(seen.size).toBeGreaterThan(10);
    expect([...seen].filter((c) => c.includes(TOKEN))).toEqual([]);
    expect(worker.output()).not.toContain(TOKEN);
  });

  // Needs Debian's openssh-server (.ci/run installs it).
  it.skipIf(!haveSshd)("clones and pushes over SSH with a 0600 key file that exists only while git runs, checking the host key", async () => {
    const bare = createBareRepo(root, "over-ssh", { "a.txt": "a\n" });
    const { credential } = await client(CredentialService, server.url, ADMIN_KEY).createCredential({
      name: "git-ssh",
      env: { GIT_SSH_KEY: sshd!.privateKey, GIT_SSH_KNOWN_HOSTS: sshd!.knownHosts },
    });
    // The key file, as ssh's command line names it, and its mode while ssh runs.
    const keyFiles = new Map<string, number>();
    const sampling = sampleCommandLines((argv) => {
      const i = argv.indexOf("-i");
      if (/(^|\/)ssh$/.test(argv[0]) && i > 0) keyFiles.set(argv[i + 1], statSync(argv[i + 1]).mode & 0o777);
    });
    let run: Run;
    try {
      run = await runToEnd({
        agent: "shell",
        prompt: "env | grep -c -e GIT_SSH -e 'BEGIN OPENSSH' || true; echo b >> a.txt",
        repository: { url: sshd!.url("over-ssh"), credentialId: credential!.id, push: true },
      });
    } finally {
      sampling.stop();
    }
    const logs = await logText(run.id);
    expect(run.status, `${run.error}\n${logs}`).toBe(RunStatus.SUCCEEDED);
    expect(run.changes).toMatchObject({ pushed: true, filesChanged: 1 });
    expect(gitIn(bare, ["rev-parse", `refs/heads/${run.changes!.branch}`])).toBe(run.changes!.headCommit);
    // The agent saw neither the key nor git's SSH settings, and the key is in no log.
    expect(run.result).toBe("0");
    const keyBody = sshd!.privateKey.split("\n")[1];
    expect(logs).not.toContain(keyBody);
    expect(worker.output()).not.toContain(keyBody);
    // ssh ran with a private key file of mode 0600, removed once git was done.
    expect(keyFiles.size).toBeGreaterThan(0);
    for (const [path, mode] of keyFiles) {
      expect(mode, path).toBe(0o600);
      expect(existsSync(path), path).toBe(false);
    }
  });

  it.skipIf(!haveSshd)("fails a run whose SSH host key does not match the credential's known hosts", async () => {
    createBareRepo(root, "spoofed", { "a.txt": "a\n" });
    const wrongHost = sshd!.knownHosts.replace(/ \S+$/, " AAAAC3NzaC1lZDI1NTE5AAAAIBq1oG0o2zvLwZ5wK6y0hN3dX3yQH0k3bXJ4cW5rZXlzc2g");
    const { credential } = await client(CredentialService, server.url, ADMIN_KEY).createCredential({
      name: "git-ssh-wrong-host",
      env: { GIT_SSH_KEY: sshd!.privateKey, GIT_SSH_KNOWN_HOSTS: wrongHost },
    });
    const run = await runToEnd({ agent: "shell", prompt: "true", repository: { url: sshd!.url("spoofed"), credentialId: credential!.id } });
    expect(run.status).toBe(RunStatus.FAILED);
    expect(run.error).toMatch(/^cannot clone ssh:\/\/.*spoofed\.git: .*[Hh]ost key/);
    expect(runDirsOf(worker.workDir, run.id)).toEqual([]);
  });

  it("fails a run whose token the remote refuses, saying so without the token", async () => {
    createBareRepo(root, "locked", { "a.txt": "a\n" });
    const wrong = "tok-wrong-9d8c7b6a5f";
    const { credential } = await client(CredentialService, server.url, ADMIN_KEY).createCredential({ name: "git-wrong", env: { GIT_TOKEN: wrong } });
    const run = await runToEnd({ agent: "shell", prompt: "true", repository: { url: http.url("locked"), credentialId: credential!.id } });
    expect(run.status).toBe(RunStatus.FAILED);
    expect(run.error).toMatch(/^cannot clone http:\/\/127\.0\.0\.1:\d+\/locked\.git: .*Authentication failed/);
    expect(run.error).not.toContain(wrong);
    expect(await logText(run.id)).not.toContain(wrong);
    expect(runDirsOf(worker.workDir, run.id)).toEqual([]);
  });

  it("fails a run whose repository cannot be cloned, saying so", async () => {
    const run = await runToEnd({ agent: "shell", prompt: "true", repository: { url: daemon.url("no-such-repo") } });
    expect(run.status).toBe(RunStatus.FAILED);
    expect(run.error).toMatch(/^cannot clone git:\/\/127\.0\.0\.1:\d+\/no-such-repo\.git: .+/);
    expect(run.error).not.toMatch(/\n\s+at /);
    expect(run.changes).toBeUndefined();
    expect(runDirsOf(worker.workDir, run.id)).toEqual([]);
  });

  it("fails a run whose ref does not exist, saying so", async () => {
    createBareRepo(root, "refs", { "a.txt": "a\n" });
    const run = await runToEnd({ agent: "shell", prompt: "true", repository: { url: daemon.url("refs"), ref: "no-such-branch" } });
    expect(run.status).toBe(RunStatus.FAILED);
    expect(run.error).toContain('ref "no-such-branch" does not exist in');
    expect(runDirsOf(worker.workDir, run.id)).toEqual([]);
  });

  it("fails a run whose push is rejected, with the remote's reason", async () => {
    const bare = createBareRepo(root, "guarded", { "a.txt": "a\n" });
    rejectPushes(bare, "pushes to this repository are frozen");
    const run = await runToEnd({ agent: "shell", prompt: "echo b >> a.txt", repository: { url: daemon.url("guarded"), push: true } });
    expect(run.status).toBe(RunStatus.FAILED);
    expect(run.error).toMatch(
      /^push of branch fc\/\w{8} to git:\/\/.*guarded\.git was rejected: .*pre-receive hook declined.*; the remote said: pushes to this repository are frozen$/,
    );
    // The commit was made and is reported; only the push failed, and the remote has no such branch.
    expect(run.changes).toMatchObject({ pushed: false, filesChanged: 1, insertions: 1, deletions: 0 });
    expect(() => gitIn(bare, ["rev-parse", "--verify", "--quiet", `refs/heads/${run.changes!.branch}`])).toThrow();
    expect(runDirsOf(worker.workDir, run.id)).toEqual([]);
  });

  it("removes the workspace of a run whose agent fails and of a run cancelled while its agent works", async () => {
    createBareRepo(root, "ends", { "a.txt": "a\n" });
    const failed = await runToEnd({ agent: "shell", prompt: "echo more >> a.txt; exit 3", repository: { url: daemon.url("ends"), push: true } });
    expect(failed.status).toBe(RunStatus.FAILED);
    expect(runDirsOf(worker.workDir, failed.id)).toEqual([]);

    const { run } = await runs().createRun({
      spec: { agent: "shell", prompt: "echo working; echo more >> a.txt; sleep 60", repository: { url: daemon.url("ends") } },
    });
    await waitFor(async () => (await logText(run!.id)).includes("working"), { what: "the agent to start working" });
    expect(runDirsOf(worker.workDir, run!.id)).toHaveLength(1);
    await runs().cancelRun({ id: run!.id });
    const cancelled = await waitFor(
      async () => {
        const r = (await runs().getRun({ id: run!.id })).run!;
        return r.finishTime ? r : undefined;
      },
      { what: "the cancelled run to finish" },
    );
    expect(cancelled.status).toBe(RunStatus.CANCELLED);
    expect(runDirsOf(worker.workDir, run!.id)).toEqual([]);
  });

  it("fetches into the cached mirror on the second run instead of cloning again", async () => {
    const bare = createBareRepo(root, "cached", { "a.txt": "a\n" });
    const first = await runToEnd({ agent: "shell", prompt: "cat a.txt", repository: { url: daemon.url("cached") } });
    expect(first.status, first.error).toBe(RunStatus.SUCCEEDED);
    expect(await logText(first.id)).toContain("into a new mirror");
    const next = addCommit(bare, "main", { "b.txt": "b\n" }, "second");
    const second = await runToEnd({ agent: "shell", prompt: "cat b.txt", repository: { url: daemon.url("cached") } });
    const logs = await logText(second.id);
    expect(second.status, second.error).toBe(RunStatus.SUCCEEDED);
    expect(logs).toContain("into the cached mirror");
    expect(logs).not.toContain("into a new mirror");
    expect(second.changes!.baseCommit).toBe(next);
    // The run's workspace is gone; the mirror stays.
    expect(readdirSync(worker.workDir).filter((f) => f.startsWith("run-"))).toEqual([]);
    expect(readdirSync(join(worker.workDir, "mirrors")).filter((f) => f.endsWith(".git")).length).toBeGreaterThan(0);
  });
});
