import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStatus, type AgentEvent, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { call, callIn, fail, hang, say, type Script } from "../../../testkit/model-server";
import { REPO } from "../../../testkit/paths";
import { waitFor } from "../../../testkit/wait-for";
import { agentPids, createGitFixture, eventsOf, sessionOf, type GitFixture } from "./fixtures";
import { SANDBOX_UID } from "../../../worker/src/sandbox/bubblewrap";
import { CODEX_MODEL, CODEX_PROVIDER, OFF_SANDBOX, ON_SANDBOX, startRealCliStack, type RealCliStack, type Spec } from "./stack";

// The real Codex (scripts/agent-clis.json) through a real worker, its model replaced by the scripted
// model server speaking the Responses API. The job selects the operator's provider "scripted"
// (stack.ts writes it into the worker's ~/.codex/config.toml); the credential holds OPENAI_API_KEY,
// the variable that provider's env_key names.
let stack: RealCliStack;
let git: GitFixture;
beforeAll(async () => {
  stack = await startRealCliStack("codex");
  git = createGitFixture(stack);
  // Started now, connected by the time the sandbox test runs (its result is awaited there).
  stack.sandboxWorker().catch(() => {});
});
afterAll(async () => {
  await stack?.stop();
});

/** `extra`: more JobSpec fields, in MessageInitShape form. */
const codexSpec = (prompt: string, extra: Record<string, unknown> = {}): Spec =>
  ({
    agent: "codex",
    provider: CODEX_PROVIDER,
    model: CODEX_MODEL,
    prompt,
    credentialIds: [stack.openaiCredential],
    requiredLabels: OFF_SANDBOX,
    ...extra,
  }) as Spec;

const PATCH = [
  "*** Begin Patch",
  "*** Add File: src/new.txt",
  "+a",
  "+b",
  "+c",
  "*** Update File: README.md",
  "@@",
  " hello",
  "-world",
  "+real agent",
  "*** End Patch",
  "",
].join("\n");

describe("real Codex", () => {
  it("edits files in a repository checkout with exec_command and apply_patch; the run's diff, events, usage and thread come from it", async () => {
    const { url, bare, base } = git.repo("codex-edit", { "README.md": "hello\nworld\n", "old.txt": "gone\n" });
    const script = stack.model.script([
      call("exec_command", { cmd: "cat README.md && rm old.txt" }),
      call("apply_patch", PATCH),
      say("Edited README.md, added src/new.txt and removed old.txt.", { input: 1200, output: 80 }),
    ]);
    const run = await stack.runToEnd(codexSpec(`Tidy the repository ${script.tag}`, { repository: { url, push: true } }));
    expect(run.status, `${run.error}\n${await stack.output(run.id)}\n${stack.worker.output()}`).toBe(RunStatus.SUCCEEDED);
    expect(run.result).toBe("Edited README.md, added src/new.txt and removed old.txt.");

    // Each tool ran in the checkout (inside codex's own workspace-write sandbox), and its result went back.
    expect(script.resultOf(0)?.output).toMatch(/Process exited with code 0[\s\S]*Output:\nhello\nworld\n/);
    expect(script.resultOf(1)?.output).toMatch(/Success. Updated the following files:\nA src\/new.txt\nM README.md/);
    expect(script.remaining).toBe(0);
    expect(script.requests.every((r) => r.headers.authorization === "Bearer sk-test-8e4b1f6a2c9d" && r.body?.model === CODEX_MODEL)).toBe(true);
    // Codex also tries github.com and chatgpt.com (plugins, experiments): refused at the proxy, never the model's traffic.
    expect(stack.model.outside.filter((h) => /openai\.com/.test(h))).toEqual([]);

    expect(run.changes).toMatchObject({ baseCommit: base, pushed: true, filesChanged: 3, insertions: 4, deletions: 2 });
    expect(git.show(bare, run.changes!.branch, "README.md")).toBe("hello\nreal agent\n");
    expect(git.show(bare, run.changes!.branch, "src/new.txt")).toBe("a\nb\nc\n");

    const events = await stack.agentEvents(run.id);
    const thread = sessionOf(events);
    expect(thread).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.agentSessionId).toBe(thread);
    expect(script.requests.every((r) => r.headers["thread-id"] === thread)).toBe(true);
    expect(eventsOf(events, "toolCall").map((c) => [c.name, JSON.parse(c.argumentsJson)])).toEqual([
      ["command_execution", { command: "/usr/bin/bash -lc 'cat README.md && rm old.txt'" }],
      ["file_change", { changes: [expect.objectContaining({ kind: "update" }), expect.objectContaining({ kind: "add" })] }],
    ]);
    expect(eventsOf(events, "toolResult").map((r) => [r.output.replace(/\/\S*\/workspace\//g, ""), r.isError])).toEqual([
      ["hello\nworld\n", false],
      ["update README.md\nadd src/new.txt", false],
    ]);
    expect(eventsOf(events, "assistantMessage").map((m) => m.text)).toEqual(["Edited README.md, added src/new.txt and removed old.txt."]);
    // turn.completed carries the turn's totals: 10 + 10 + 1200 in, 5 + 5 + 80 out.
    expect(run.usage).toMatchObject({ inputTokens: 1220n, outputTokens: 90n, totalTokens: 1310n });
  });

  describe("MCP servers from the job's extensions", () => {
    const echo = {
      name: "echo",
      transport: {
        case: "stdio",
        value: { command: process.execPath, args: [join(REPO, "testkit/mcp-echo-server.mjs")], env: { MCP_ECHO_SUFFIX: "!" } },
      },
    };
    let run: Run;
    let events: AgentEvent[];
    let script: Script;
    beforeAll(async () => {
      script = stack.model.script([
        call("tool_search", { query: "echo" }),
        callIn("mcp__echo", "echo", { text: "hi" }),
        say("Done with the echo tool."),
      ]);
      run = await stack.runToEnd(codexSpec(`Use the echo tool ${script.tag}`, { extensions: [echo] }));
      events = await stack.agentEvents(run.id);
    });

    it("starts them: codex's tool search lists the echo server's tool, and the call reaches codex's MCP client", () => {
      expect(run.status, run.error).toBe(RunStatus.SUCCEEDED);
      // Codex 0.171 prints nothing about MCP start-up in --json; its tool search shows what connected.
      const listed = JSON.parse(script.resultOf(0)?.output ?? "[]");
      expect(listed).toContainEqual(
        expect.objectContaining({ type: "namespace", name: "mcp__echo", tools: [expect.objectContaining({ name: "echo" })] }),
      );
      expect(eventsOf(events, "toolCall").map((c) => c.name)).toEqual(["echo.echo"]);
    });

    // `codex exec` runs with approval policy "never", and codex 0.171 then refuses MCP tool calls
    // ("MCP tool call requires approval, but approval policy is never") unless the server has
    // default_tools_approval_mode = "approve", which the adapter sets (worker/src/agents/codex.ts).
    it("the agent gets the echo tool's answer, and the run its result", () => {
      expect(script.resultOf(1)?.output).toContain("echo: hi!");
      expect(eventsOf(events, "toolResult").map((r) => [r.output, r.isError])).toEqual([[expect.stringContaining("echo: hi!"), false]]);
      expect(run.result).toBe("Done with the echo tool.");
    });

    // Issue 15, defect 2: every server is `required = true`, so codex fails before its thread starts
    // (before any model call) and says why only on stderr, among a backtrace.
    it("a broken MCP server fails the run, naming it and the reason", async () => {
      const broken = stack.model.script([say("never reached")]);
      const failed = await stack.runToEnd(
        codexSpec(`Use the echo tool ${broken.tag}`, {
          extensions: [echo, { name: "broken", transport: { case: "stdio", value: { command: "/nonexistent/mcp-server", args: [] } } }],
        }),
      );
      expect(failed.status).toBe(RunStatus.FAILED);
      expect(failed.error).toMatch(/^extension broken did not start in codex; .*No such file or directory/);
      expect(broken.requests).toHaveLength(0);
    });
  });

  it("a model error (HTTP 400) fails the run with the model's message", async () => {
    const script = stack.model.script([fail(400, "invalid_request_error", "Invalid input: the prompt is too long")]);
    const run = await stack.runToEnd(codexSpec(`Summarise ${script.tag}`));
    expect(run.status).toBe(RunStatus.FAILED);
    // Codex passes the response body on verbatim (JSON); the run's error is the model's message in it.
    expect(run.error).toBe("Invalid input: the prompt is too long");
    expect(eventsOf(await stack.agentEvents(run.id), "error").map((e) => e.message)).toEqual(["Invalid input: the prompt is too long"]);
    expect(script.requests).toHaveLength(1);
  });

  it("rate limit (429 with retry-after): codex retries and the run succeeds", async () => {
    const script = stack.model.script([
      fail(429, "rate_limit_exceeded", "Rate limit reached for requests. Please try again in 1s.", 1),
      say("Done after the retry."),
    ]);
    const run = await stack.runToEnd(codexSpec(`Summarise ${script.tag}`));
    expect(run.status, run.error).toBe(RunStatus.SUCCEEDED);
    expect(run.result).toBe("Done after the retry.");
    expect(script.requests).toHaveLength(2);
    // Codex announces the retry as an `error` event ("Reconnecting... 1/1 (... 429 ...)") and goes on to
    // turn.completed: a notification of a run that succeeded, not an error (issue 15, defect 9).
    const events = await stack.agentEvents(run.id);
    expect(eventsOf(events, "error")).toEqual([]);
    expect(eventsOf(events, "notification").map((n) => n.message)).toContainEqual(
      expect.stringMatching(/^retried after a transient error: Reconnecting\.\.\. 1\/1 .*429 Too Many Requests/),
    );
  });

  it("cancel mid-stream: the run is cancelled and codex is gone", async () => {
    const script = stack.model.script([hang()]);
    const { run } = await stack.runs().createRun({ spec: codexSpec(`Wait ${script.tag}`) });
    await waitFor(() => script.requests.length === 1, { what: "codex to call the model" });
    expect(agentPids(script.tag).length).toBeGreaterThan(0);
    await stack.runs().cancelRun({ id: run!.id });
    const done = await stack.finished(run!.id);
    expect(done.status).toBe(RunStatus.CANCELLED);
    await waitFor(() => agentPids(script.tag).length === 0, { what: "codex to exit" });
  });

  it("records the thread id, and a follow-up (ContinueRun) resumes that conversation with `codex exec resume`", async () => {
    const script = stack.model.script([say("Noted: the word is pineapple."), say("The word was pineapple.")]);
    const parent = await stack.runToEnd(codexSpec(`Remember the word pineapple ${script.tag}`));
    expect(parent.status, `${parent.error}\n${await stack.output(parent.id)}`).toBe(RunStatus.SUCCEEDED);
    expect(parent.result).toBe("Noted: the word is pineapple.");
    const thread = parent.agentSessionId;
    expect(thread).toMatch(/^[0-9a-f-]{36}$/);
    expect(sessionOf(await stack.agentEvents(parent.id))).toBe(thread);

    const child = await stack.continueToEnd(parent.id, "Which word was it?");
    expect(child.status, `${child.error}\n${await stack.output(child.id)}`).toBe(RunStatus.SUCCEEDED);
    expect(child.result).toBe("The word was pineapple.");
    expect(child.agentSessionId).toBe(thread);
    expect(await stack.output(child.id)).toContain(`session: restored`);
    const history = JSON.stringify(script.requests[1].body?.input);
    expect(history).toContain("Remember the word pineapple");
    expect(history).toContain("Noted: the word is pineapple.");
    expect(history).toContain("Which word was it?");
    expect(script.requests[1].headers["thread-id"]).toBe(thread);
  });

  // Issue 15's sandbox, with codex's own sandbox inside it. The run's HOME is its own, so the
  // operator's ~/.codex/config.toml (the "scripted" provider) reaches codex only as the worker's copy
  // of it in the run's CODEX_HOME: the integrate branch's operator-config.ts (commit dbf408d), not on
  // this branch, where codex fails with "Model provider `scripted` not found". Checked to pass with
  // that commit applied: when it is merged, this fails — flip it to it().
  it("runs in the worker's bubblewrap sandbox, as an unprivileged user, with the operator's provider config", async () => {
    await stack.sandboxWorker();
    const script = stack.model.script([call("exec_command", { cmd: "id -u; echo $HOME" }), say("Ran inside the sandbox.")]);
    const run = await stack.runToEnd(codexSpec(`Where am I ${script.tag}`, { requiredLabels: ON_SANDBOX }));
    expect(run.status, `${run.error}\n${await stack.output(run.id)}\n${(await stack.sandboxWorker()).output()}`).toBe(RunStatus.SUCCEEDED);
    expect(run.workerName).toMatch(/-sandboxed$/);
    expect(run.result).toBe("Ran inside the sandbox.");
    const output = script.resultOf(0)?.output ?? "";
    expect(output).toMatch(new RegExp(`Output:\\n${SANDBOX_UID}\\n.*/home\\n`));
    expect(output).not.toContain(stack.home);
    expect(script.requests.every((r) => r.headers.authorization === "Bearer sk-test-8e4b1f6a2c9d")).toBe(true);
    expect(run.agentSessionId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
