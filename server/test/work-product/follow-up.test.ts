// Follow-ups end to end (RunService.ContinueRun) with a real server, a real worker, the fake agents
// and a real git daemon: a pushed parent's branch is extended, a non-pushed parent's diff (a binary
// file included) is applied, the Claude Code fake resumes the parent's session from its restored
// state, and who may continue what.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { ArtifactKind } from "../../src/gen/flightcontrol/v1/artifact_pb";
import { RunService, RunStatus, TriggerKind, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { createBareRepo, gitIn, gitRoot, startGitDaemon, type GitDaemon } from "../../../testkit/git-server";
import { ADMIN_KEY, WORKER_KEY } from "../../../testkit/keys";
import { removeDir, tempDir } from "../../../testkit/temp-dir";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";
import { newKey, refused } from "../foundation/helpers";
import { collectChunks, finished, logText } from "./artifacts-support";

let server: TestServer;
let worker: WorkerProcess;
let daemon: GitDaemon;
let root: string;
const records = tempDir("fc-follow-up-records-");
const runs = () => client(RunService, server.url, ADMIN_KEY);

beforeAll(async () => {
  root = gitRoot();
  server = await startTestServer();
  worker = startWorker(server.url, { name: "follow-up-1", capacity: 2, env: { FAKE_AGENT_RECORD_DIR: records } });
  daemon = await startGitDaemon(root);
  await waitFor(async () => (await client(WorkerService, server.url, ADMIN_KEY).listWorkers({})).workers.length === 1, { what: "worker to connect" });
});
afterAll(async () => {
  await worker?.kill();
  await daemon?.stop();
  await server?.cleanup();
  if (root) removeDir(root);
  removeDir(records);
});

async function done(run: Run | undefined): Promise<Run> {
  const r = await finished(server.url, run!.id, 60_000);
  expect(r.status, `${r.error}\n${await logText(server.url, r.id)}\n${worker.output()}`).toBe(RunStatus.SUCCEEDED);
  return r;
}

/** The argv the fake claude was started with for each prompt, in order (FAKE_AGENT_RECORD_DIR). */
function claudeArgv(prompt: string): string[][] {
  const file = join(records, "executions.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { agent: string; event: string; prompt: string; argv: string[] })
    .filter((e) => e.agent === "claude" && e.event === "start" && e.prompt === prompt)
    .map((e) => e.argv);
}

async function diffOf(runId: string): Promise<string> {
  const { artifacts } = await runs().listArtifacts({ runId });
  const diff = artifacts.find((a) => a.kind === ArtifactKind.CHANGES);
  if (!diff) throw new Error(`run ${runId} kept no changes.diff: ${artifacts.map((a) => a.name).join(", ")}`);
  return (await collectChunks(runs().downloadArtifact({ id: diff.id }))).toString("utf8");
}

describe("follow-ups", () => {
  it("extend a pushed parent's branch and resume its Claude Code session", async () => {
    const bare = createBareRepo(root, "pushed", { "README.md": "hello\n" });
    const repository = { url: daemon.url("pushed"), push: true };
    const parent = await done((await runs().createRun({ spec: { agent: "claude-code", prompt: "edit_file=notes.txt", repository } })).run);
    expect(parent.agentSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(parent.changes).toMatchObject({ pushed: true, branch: `fc/${parent.id.slice(0, 8)}` });
    // The session travels as an artifact, but users see only the diff.
    expect((await runs().listArtifacts({ runId: parent.id })).artifacts.map((a) => a.name)).toEqual(["changes.diff"]);

    const prompt = "edit_file=notes.txt edit_file=more.txt";
    const { run: queued } = await runs().continueRun({ id: parent.id, prompt });
    expect(queued).toMatchObject({ parentRunId: parent.id, trigger: TriggerKind.FOLLOW_UP, status: RunStatus.QUEUED, jobName: parent.jobName });
    expect(queued!.spec?.prompt).toBe(prompt);
    const child = await done(queued);
    const branch = parent.changes!.branch;
    // It started from the parent's pushed head, committed onto the same branch, and pushed it further.
    expect(child.changes).toMatchObject({ baseCommit: parent.changes!.headCommit, branch, pushed: true });
    expect(gitIn(bare, ["rev-parse", `refs/heads/${branch}`])).toBe(child.changes!.headCommit);
    expect(gitIn(bare, ["rev-parse", `${child.changes!.headCommit}^`])).toBe(parent.changes!.headCommit);
    // The agent saw the parent's file: it appended to it rather than creating it.
    expect(gitIn(bare, ["show", `${branch}:notes.txt`])).toBe("created by claude\nsecond line\nedited by claude");
    const diff = await diffOf(child.id);
    expect(diff).toContain("+edited by claude");
    expect(diff).not.toContain("+created by claude\n+second line\n+edited by claude");
    // The fake got --resume with the parent's session id, found the restored transcript and went on with it.
    expect(claudeArgv(prompt)).toEqual([expect.arrayContaining(["--resume", parent.agentSessionId])]);
    expect(child.result).toContain(`resumed session ${parent.agentSessionId} after 2 earlier messages`);
    expect(child.agentSessionId).toBe(parent.agentSessionId);
    expect(await logText(server.url, child.id)).toContain(`session: restored 1 file of session ${parent.agentSessionId}`);

    // A follow-up of the follow-up: the chain, listed link by link.
    const grandchild = await done((await runs().continueRun({ id: child.id, prompt: "edit_file=more.txt" })).run);
    expect(grandchild.result).toContain("after 4 earlier messages");
    expect(gitIn(bare, ["rev-parse", `${grandchild.changes!.headCommit}^`])).toBe(child.changes!.headCommit);
    expect((await runs().listRuns({ parentRunId: parent.id })).runs.map((r) => r.id)).toEqual([child.id]);
    expect((await runs().listRuns({ parentRunId: child.id })).runs.map((r) => r.id)).toEqual([grandchild.id]);

    // Nobody holds a follow-up now: the worker key may not read the parent's diff, and nobody reads its session.
    const parentDiff = (await runs().listArtifacts({ runId: parent.id })).artifacts[0];
    const res = await fetch(`${server.url}/artifacts/${parentDiff.id}`, { headers: { authorization: `Bearer ${WORKER_KEY}` } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("parent of a run its worker holds");
  });

  it("apply a parent's diff, a binary file last, when its branch was not pushed", async () => {
    createBareRepo(root, "local", { "README.md": "hello\n" });
    const repository = { url: daemon.url("local") };
    const parent = await done(
      (
        await runs().createRun({
          spec: { agent: "shell", prompt: "printf 'from parent\\n' > p.txt && printf '\\000\\001\\002\\377' > z.bin", repository },
        })
      ).run,
    );
    expect(parent.changes).toMatchObject({ pushed: false, filesChanged: 2 });
    const child = await done(
      (await runs().continueRun({ id: parent.id, prompt: "od -An -tx1 z.bin | tr -d ' \\n' > seen.txt && cat p.txt >> seen.txt" })).run,
    );
    expect(child.parentRunId).toBe(parent.id);
    // The parent's work is committed first, so the follow-up's diff holds only its own file.
    expect(child.changes!.baseCommit).not.toBe(parent.changes!.baseCommit);
    expect(child.changes).toMatchObject({ filesChanged: 1, pushed: false });
    const diff = await diffOf(child.id);
    expect(diff).toContain("+000102fffrom parent");
    expect(diff).not.toContain("z.bin");
    expect(await logText(server.url, child.id)).toContain(`applying its changes.diff to its base ${parent.changes!.baseCommit.slice(0, 12)}`);
  });

  it("continue finished runs only, by operators, and say what is wrong otherwise", async () => {
    // Nothing can take this run: it stays queued.
    const { run: waiting } = await runs().createRun({ spec: { agent: "shell", prompt: "true", requiredLabels: { pool: "none" } } });
    const err = await refused(runs().continueRun({ id: waiting!.id, prompt: "more" }), Code.FailedPrecondition);
    expect(err.rawMessage).toContain("is still queued");
    await runs().cancelRun({ id: waiting!.id });

    await refused(runs().continueRun({ id: "01890000-0000-7000-8000-000000000000", prompt: "more" }), Code.NotFound);
    const { key } = await newKey(server.url, Role.VIEWER);
    await refused(client(RunService, server.url, key).continueRun({ id: waiting!.id, prompt: "more" }), Code.PermissionDenied);
    await refused(runs().continueRun({ id: waiting!.id, prompt: "" }), Code.InvalidArgument);
  });
});
