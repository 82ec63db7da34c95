// Follow-ups and the operator's agent configuration on a worker that sandboxes its runs with
// bubblewrap (ORCH_SANDBOX=bubblewrap): there the agent sees neither the worker's HOME nor its work
// dir, so its sessions live in the run's own HOME and the worker packs and restores them there; the
// operator's Claude Code settings, Codex config.toml (model_providers) and Goose config.yaml reach
// the run as copies. The operator's files are put where the worker's own environment says they are,
// under the work dir and a config dir that the sandbox hides, so a run could not read them itself.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunService, RunStatus, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { createBareRepo, gitIn, gitRoot, startGitDaemon, type GitDaemon } from "../../../testkit/git-server";
import { ADMIN_KEY } from "../../../testkit/keys";
import { REPO } from "../../../testkit/paths";
import { removeDir, tempDir } from "../../../testkit/temp-dir";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";
import { finished, logText } from "./artifacts-support";

let server: TestServer;
let worker: WorkerProcess;
let daemon: GitDaemon;
let root: string;
const workDir = tempDir("fc-follow-up-sandbox-");
const operatorConfig = tempDir("fc-follow-up-sandbox-xdg-");
const runs = () => client(RunService, server.url, ADMIN_KEY);

beforeAll(async () => {
  // The operator's configuration, where the worker's environment points each agent (testkit sets
  // CLAUDE_CONFIG_DIR and CODEX_HOME inside the work dir; goose reads $XDG_CONFIG_HOME/goose).
  mkdirSync(join(workDir, "claude-config"), { recursive: true });
  writeFileSync(join(workDir, "claude-config", "settings.json"), JSON.stringify({ model: "claude-of-the-operator" }));
  writeFileSync(join(workDir, "claude-config", ".credentials.json"), JSON.stringify({ claudeAiOauth: { accessToken: "operator-login" } }));
  mkdirSync(join(workDir, "codex-home"), { recursive: true });
  writeFileSync(
    join(workDir, "codex-home", "config.toml"),
    'model_provider = "operator-llm"\n\n[model_providers.operator-llm]\nname = "Operator LLM"\nbase_url = "http://127.0.0.1:9/v1"\nenv_key = "OPERATOR_LLM_KEY"\n',
  );
  writeFileSync(join(workDir, "codex-home", "auth.json"), JSON.stringify({ OPENAI_API_KEY: "operator-login" }));
  mkdirSync(join(operatorConfig, "goose"), { recursive: true });
  writeFileSync(join(operatorConfig, "goose", "config.yaml"), "GOOSE_PROVIDER: operator-provider\nGOOSE_MODEL: operator-model\n");

  root = gitRoot();
  server = await startTestServer();
  worker = startWorker(server.url, {
    name: "follow-up-sandboxed",
    capacity: 2,
    workDir,
    // The fake CLIs (and the node_modules they load) live in this checkout, which may be under /tmp
    // (a fresh clone there), and every run gets an empty /tmp of its own: shown back, read-only, as an
    // operator would show an agent installed there.
    env: { ORCH_SANDBOX: "bubblewrap", XDG_CONFIG_HOME: operatorConfig, ORCH_SANDBOX_SHOW: REPO },
  });
  daemon = await startGitDaemon(root);
  await waitFor(async () => (await client(WorkerService, server.url, ADMIN_KEY).listWorkers({})).workers.length === 1, {
    what: "the sandboxed worker to connect",
    timeoutMs: 30_000,
  });
});
afterAll(async () => {
  await worker?.kill();
  await daemon?.stop();
  await server?.cleanup();
  if (root) removeDir(root);
  removeDir(workDir);
  removeDir(operatorConfig);
});

async function done(run: Run | undefined): Promise<Run> {
  const r = await finished(server.url, run!.id, 60_000);
  expect(r.status, `${r.error}\n${await logText(server.url, r.id)}\n${worker.output()}`).toBe(RunStatus.SUCCEEDED);
  return r;
}

describe("on a sandboxed worker", () => {
  it("a follow-up extends a pushed parent's branch and resumes its Claude Code session", async () => {
    const bare = createBareRepo(root, "pushed", { "README.md": "hello\n" });
    const repository = { url: daemon.url("pushed"), push: true };
    const parent = await done((await runs().createRun({ spec: { agent: "claude-code", prompt: "edit_file=notes.txt", repository } })).run);
    expect(await logText(server.url, parent.id)).toContain("sandbox: bubblewrap, network full");
    expect(parent.agentSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(parent.changes).toMatchObject({ pushed: true });

    const child = await done((await runs().continueRun({ id: parent.id, prompt: "edit_file=notes.txt" })).run);
    const branch = parent.changes!.branch;
    expect(child.changes).toMatchObject({ baseCommit: parent.changes!.headCommit, branch, pushed: true });
    expect(gitIn(bare, ["show", `${branch}:notes.txt`])).toBe("created by claude\nsecond line\nedited by claude");
    // The fake found the parent's transcript where the sandboxed claude looks (CLAUDE_CONFIG_DIR in
    // the run's HOME) and went on with it: without it, --resume fails with "No conversation found".
    expect(child.result).toContain(`resumed session ${parent.agentSessionId} after 2 earlier messages`);
    expect(await logText(server.url, child.id)).toContain(`session: restored 1 file of session ${parent.agentSessionId}`);
    const grandchild = await done((await runs().continueRun({ id: child.id, prompt: "lines=1" })).run);
    expect(grandchild.result).toContain("after 4 earlier messages");
  });

  it("a follow-up resumes the parent's Codex thread and Goose session", async () => {
    const codex = await done((await runs().createRun({ spec: { agent: "codex", prompt: "lines=1" } })).run);
    expect(codex.agentSessionId).toMatch(/^[0-9a-f-]{36}$/);
    const codexChild = await done((await runs().continueRun({ id: codex.id, prompt: "lines=1" })).run);
    expect(codexChild.agentSessionId).toBe(codex.agentSessionId);
    expect(await logText(server.url, codexChild.id)).toContain(`resumed thread ${codex.agentSessionId} after 1 earlier items`);

    const goose = await done((await runs().createRun({ spec: { agent: "goose", prompt: "lines=1" } })).run);
    expect(goose.agentSessionId).toBe(`flightcontrol-${goose.id}`);
    const gooseChild = await done((await runs().continueRun({ id: goose.id, prompt: "lines=1" })).run);
    expect(gooseChild.result).toContain("resumed after 2 earlier messages");

    // The sessions lived in the runs' own dirs, gone with them: none reached the operator's dirs,
    // and no run dir is left behind to hand one to the next run.
    expect(existsSync(join(workDir, "claude-config", "projects"))).toBe(false);
    expect(existsSync(join(workDir, "codex-home", "sessions"))).toBe(false);
    await waitFor(() => readdirSync(workDir).every((n) => !n.startsWith("run-")), { what: "the run dirs to be removed" });
  });

  it("the operator's agent configuration reaches the sandboxed agents, its logins do not", async () => {
    // Claude Code: the model from the operator's settings.json; no login copied into the run.
    const claude = await done((await runs().createRun({ spec: { agent: "claude-code", prompt: "print_config" } })).run);
    const claudeLog = await logText(server.url, claude.id);
    expect(claudeLog).toContain("model=claude-of-the-operator");
    // Codex: the provider the operator's config.toml defines and selects (an unknown one is a config error).
    const codex = await done((await runs().createRun({ spec: { agent: "codex", prompt: "print_config" } })).run);
    expect(await logText(server.url, codex.id)).toContain("provider=operator-llm base_url=http://127.0.0.1:9/v1");
    // Goose: the provider from the operator's config.yaml (without one, goose exits 101).
    await done((await runs().createRun({ spec: { agent: "goose", prompt: "require_provider lines=1" } })).run);

    // Logins are not copied: codex has neither the operator's auth.json nor a key, and gets a 401.
    const unauthorized = await finished(
      server.url,
      (await runs().createRun({ spec: { agent: "codex", prompt: "require_auth lines=1" } })).run!.id,
      60_000,
    );
    expect(unauthorized.status).toBe(RunStatus.FAILED);
    expect(unauthorized.error).toContain("401 Unauthorized");
  });
});
