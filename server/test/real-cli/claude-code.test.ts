import { spawn } from "node:child_process";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStatus, type AgentEvent, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { buildClaudeArgs } from "../../../worker/src/agents/claude-code";
import { JobSpecSchema } from "../../../worker/src/gen/flightcontrol/v1/spec_pb";
import { maxTurnsError } from "../../../worker/src/agents/max-turns";
import { SANDBOX_UID } from "../../../worker/src/sandbox/bubblewrap";
import { agentPids, createGitFixture, eventsOf, sessionOf, type GitFixture } from "./fixtures";
import { call, cut, fail, failMidStream, hang, say } from "../../../testkit/model-server";
import { REPO } from "../../../testkit/paths";
import { waitFor } from "../../../testkit/wait-for";
import { OFF_SANDBOX, ON_SANDBOX, startRealCliStack, type RealCliStack, type Spec } from "./stack";

// The real Claude Code (scripts/agent-clis.json) through a real worker, its model replaced by the
// scripted model server (testkit/model-server.ts). See stack.ts for how the worker runs.
let stack: RealCliStack;
let git: GitFixture;
beforeAll(async () => {
  stack = await startRealCliStack("claude");
  git = createGitFixture(stack);
  // Started now, connected by the time the sandbox test runs (its result is awaited there).
  stack.sandboxWorker().catch(() => {});
});
afterAll(async () => {
  await stack?.stop();
});

const MODEL = "claude-sonnet-4-5";
/** `extra`: more JobSpec fields, in MessageInitShape form. */
const claudeSpec = (prompt: string, extra: Record<string, unknown> = {}): Spec =>
  ({ agent: "claude-code", model: MODEL, prompt, credentialIds: [stack.anthropicCredential], requiredLabels: OFF_SANDBOX, ...extra }) as Spec;

describe("real Claude Code", () => {
  it("edits files in a repository checkout with Bash, Write and Edit; the run's diff, events, usage and session come from it", async () => {
    const { url, bare, base } = git.repo("claude-edit", { "README.md": "hello\nworld\n", "old.txt": "gone\n" });
    const script = stack.model.script([
      call("Bash", { command: "cat README.md && rm old.txt", description: "Read the readme" }),
      call("Write", { file_path: "src/new.txt", content: "a\nb\nc\n" }),
      // Claude Code refuses to Edit a file it has not Read in this session.
      call("Read", { file_path: "README.md" }),
      call("Edit", { file_path: "README.md", old_string: "world", new_string: "real agent" }),
      say("Edited README.md, added src/new.txt and removed old.txt.", { input: 1200, output: 80 }),
    ]);
    const run = await stack.runToEnd(claudeSpec(`Tidy the repository ${script.tag}`, { repository: { url, push: true } }));
    expect(run.status, `${run.error}\n${await stack.output(run.id)}\n${stack.worker.output()}`).toBe(RunStatus.SUCCEEDED);
    expect(run.result).toBe("Edited README.md, added src/new.txt and removed old.txt.");

    // Each tool ran in the checkout, and its result went back to the model.
    // (Claude Code appends a <system-reminder> with the tokens left to a tool's result.)
    expect(script.resultOf(0)?.output).toMatch(/^hello\nworld\n/);
    expect(script.resultOf(0)?.isError).toBe(false);
    expect(script.resultOf(1)?.output).toContain("File created successfully at: src/new.txt");
    expect(script.resultOf(2)?.output).toMatch(/hello.*\n.*world/);
    expect(script.resultOf(3)?.output).toContain("README.md has been updated successfully");
    expect(script.remaining).toBe(0);
    // With the credential's key, the job's model, and nothing beyond 127.0.0.1.
    expect(script.requests.every((r) => r.headers["x-api-key"] === "sk-ant-test-5c1e2a9b7d3f" && r.body?.model === MODEL)).toBe(true);
    expect(stack.model.outside).toEqual([]);

    // The diff is the real agent's, committed and pushed.
    expect(run.changes).toMatchObject({ baseCommit: base, pushed: true, filesChanged: 3, insertions: 4, deletions: 2 });
    expect(git.show(bare, run.changes!.branch, "README.md")).toBe("hello\nreal agent\n");
    expect(git.show(bare, run.changes!.branch, "src/new.txt")).toBe("a\nb\nc\n");

    // The structured view, from Claude Code's own stream-json.
    const events = await stack.agentEvents(run.id);
    const session = sessionOf(events);
    expect(session).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.agentSessionId).toBe(session);
    expect(script.requests.every((r) => r.headers["x-claude-code-session-id"] === session)).toBe(true);
    expect(eventsOf(events, "toolCall").map((c) => [c.name, JSON.parse(c.argumentsJson)])).toEqual([
      ["Bash", { command: "cat README.md && rm old.txt", description: "Read the readme" }],
      ["Write", { file_path: "src/new.txt", content: "a\nb\nc\n" }],
      ["Read", { file_path: "README.md" }],
      ["Edit", { file_path: "README.md", old_string: "world", new_string: "real agent", replace_all: false }],
    ]);
    const results = eventsOf(events, "toolResult");
    expect(results.map((r) => [r.output.split(/ \(|\n\n<system-reminder>/)[0], r.isError])).toEqual([
      ["hello\nworld", false],
      ["File created successfully at: src/new.txt", false],
      [expect.stringMatching(/hello.*\n.*world/), false],
      ["The file README.md has been updated successfully.", false],
    ]);
    expect(eventsOf(events, "toolCall").map((c) => c.callId)).toEqual(results.map((r) => r.callId));
    expect(eventsOf(events, "assistantMessage").map((m) => m.text)).toEqual(["Edited README.md, added src/new.txt and removed old.txt."]);
    // Usage: Claude Code's totals over the five model calls (4 × 10 + 1200 in, 4 × 5 + 80 out), priced by Claude Code.
    const usage = eventsOf(events, "usage").at(-1)!;
    expect(usage).toMatchObject({ inputTokens: 1240n, outputTokens: 100n, totalTokens: 1340n });
    expect(usage.costUsd).toBeGreaterThan(0);
    expect(run.usage).toMatchObject({ inputTokens: 1240n, outputTokens: 100n });
  });

  it.runIf(process.getuid?.() === 0)(
    "as root, the real Claude Code refuses to skip permission prompts, which is why the adapter stops such a run first",
    async () => {
      const args = buildClaudeArgs(create(JobSpecSchema, { agent: "claude-code", prompt: "say hi" }));
      const out = await new Promise<string>((resolve) => {
        const child = spawn(stack.clis.claude, args, {
          cwd: stack.gitRoot,
          env: { PATH: process.env.PATH, HOME: stack.home, ANTHROPIC_API_KEY: "sk-ant-x", ANTHROPIC_BASE_URL: stack.model.anthropicBaseUrl },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let text = "";
        child.stdout.on("data", (d) => (text += d));
        child.stderr.on("data", (d) => (text += d));
        child.on("close", () => resolve(text));
      });
      expect(out).toContain("cannot be used with root/sudo privileges for security reasons");
    },
  );

  describe("MCP servers from the job's extensions", () => {
    let run: Run;
    let events: AgentEvent[];
    let result: string | undefined;
    beforeAll(async () => {
      const script = stack.model.script([call("mcp__echo__echo", { text: "hi" }), say("The echo server answered.")]);
      run = await stack.runToEnd(
        claudeSpec(`Use the echo tool ${script.tag}`, {
          extensions: [
            {
              name: "echo",
              transport: {
                case: "stdio",
                value: { command: process.execPath, args: [join(REPO, "testkit/mcp-echo-server.mjs")], env: { MCP_ECHO_SUFFIX: "!" } },
              },
            },
            { name: "broken", transport: { case: "stdio", value: { command: "/nonexistent/mcp-server", args: [] } } },
          ],
        }),
      );
      events = await stack.agentEvents(run.id);
      result = script.resultOf(0)?.output;
    });

    it("starts them with the job's env: init shows echo connected (and broken failed), and the agent calls echo's tool", () => {
      const init = eventsOf(events, "notification").find((n) => n.message.startsWith("session "));
      expect(init?.message).toContain("mcp echo:connected, broken:failed");
      expect(eventsOf(events, "toolCall").map((c) => c.name)).toEqual(["mcp__echo__echo"]);
      expect(result).toMatch(/^echo: hi!(\n|$)/);
    });

    // Issue 15, defect 2 (fixed in the agents work): Claude Code reports the broken server as failed
    // in its init and carries on, so today the run succeeds. When that lands, this fails: flip it to it().
    it("a broken MCP server fails the run, naming it", () => {
      expect(run.status).toBe(RunStatus.FAILED);
      expect(run.error).toContain("broken");
    });
  });

  // Claude Code ends with error_max_turns, result null and errors ["Reached maximum number of turns (1)"];
  // the run's error is max_turns' one meaning for every agent (issue 15, defect 5; agents/max-turns.ts).
  it("max turns: Claude Code's error_max_turns fails the run, saying the job's max_turns was used up", async () => {
    const script = stack.model.script([call("Bash", { command: "echo 1" }), call("Bash", { command: "echo 2" }), say("never reached")]);
    const run = await stack.runToEnd(claudeSpec(`Count ${script.tag}`, { maxTurns: 1 }));
    expect(run.status).toBe(RunStatus.FAILED);
    expect(run.error).toBe(maxTurnsError("claude", 1));
    expect(script.requests).toHaveLength(1);
  });

  it("a model error (HTTP 400) is the run's error, in Claude Code's words", async () => {
    const script = stack.model.script([fail(400, "invalid_request_error", "prompt is too long: 300000 tokens > 200000 maximum")]);
    const run = await stack.runToEnd(claudeSpec(`Summarise ${script.tag}`));
    expect(run.status).toBe(RunStatus.FAILED);
    expect(run.error).toMatch(/^Prompt is too long/);
    expect(script.requests).toHaveLength(1);
  });

  it("overloaded (HTTP 529) past the retries: the run fails saying so", async () => {
    const overloaded = fail(529, "overloaded_error", "Overloaded");
    const script = stack.model.script([overloaded, overloaded, overloaded]);
    const run = await stack.runToEnd(claudeSpec(`Summarise ${script.tag}`));
    expect(run.status).toBe(RunStatus.FAILED);
    expect(run.error).toMatch(/overloaded/i);
    // The first try and CLAUDE_CODE_MAX_RETRIES=2 retries.
    expect(script.requests).toHaveLength(3);
  });

  it("overloaded mid-stream: Claude Code retries the request without streaming and the run succeeds", async () => {
    const script = stack.model.script([failMidStream("overloaded_error", "Overloaded"), say("Recovered.")]);
    const run = await stack.runToEnd(claudeSpec(`Summarise ${script.tag}`));
    expect(run.status, run.error).toBe(RunStatus.SUCCEEDED);
    expect(run.result).toBe("Recovered.");
    expect(script.requests.map((r) => r.body?.stream)).toEqual([true, false]);
  });

  it("rate limit (429 with retry-after) and a stream cut mid-reply: Claude Code retries and the run succeeds", async () => {
    const script = stack.model.script([
      fail(429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", 1),
      cut(),
      say("Done after two retries."),
    ]);
    const run = await stack.runToEnd(claudeSpec(`Summarise ${script.tag}`));
    expect(run.status, run.error).toBe(RunStatus.SUCCEEDED);
    expect(run.result).toBe("Done after two retries.");
    expect(script.requests).toHaveLength(3);
    // Claude Code announces each retry (system/api_retry), which the run's events show as a sentence.
    const retries = eventsOf(await stack.agentEvents(run.id), "notification").filter((n) => n.message.startsWith("model request failed"));
    expect(retries.map((n) => n.message)).toEqual([
      expect.stringMatching(/^model request failed \(HTTP 429, rate limit\); retry 1 of 2 in \d+\.\d s$/),
      expect.stringMatching(/^model request failed \(no HTTP status, unknown\); retry 2 of 2 in \d+\.\d s$/),
    ]);
  });

  it("cancel mid-stream: the run is cancelled and claude is gone", async () => {
    const script = stack.model.script([hang()]);
    const { run } = await stack.runs().createRun({ spec: claudeSpec(`Wait ${script.tag}`) });
    await waitFor(() => script.requests.length === 1, { what: "claude to call the model" });
    expect(agentPids(script.tag).length).toBeGreaterThan(0);
    await stack.runs().cancelRun({ id: run!.id });
    const done = await stack.finished(run!.id);
    expect(done.status).toBe(RunStatus.CANCELLED);
    await waitFor(() => agentPids(script.tag).length === 0, { what: "claude to exit" });
  });

  it("records the session id, and a follow-up (ContinueRun) resumes that conversation with `claude --resume`", async () => {
    const script = stack.model.script([say("Noted: the word is pineapple."), say("The word was pineapple.")]);
    const parent = await stack.runToEnd(claudeSpec(`Remember the word pineapple ${script.tag}`));
    expect(parent.status, `${parent.error}\n${await stack.output(parent.id)}`).toBe(RunStatus.SUCCEEDED);
    expect(parent.result).toBe("Noted: the word is pineapple.");
    const session = parent.agentSessionId;
    expect(session).toMatch(/^[0-9a-f-]{36}$/);
    expect(sessionOf(await stack.agentEvents(parent.id))).toBe(session);

    // On its own worker run: the parent's session restored from its artifact, then resumed.
    const child = await stack.continueToEnd(parent.id, "Which word was it?");
    expect(child.status, `${child.error}\n${await stack.output(child.id)}`).toBe(RunStatus.SUCCEEDED);
    expect(child.result).toBe("The word was pineapple.");
    expect(child.agentSessionId).toBe(session);
    expect(await stack.output(child.id)).toContain(`session: restored`);
    // The model saw the whole earlier conversation, in the same Claude Code session.
    const history = JSON.stringify(script.requests[1].body?.messages);
    expect(history).toContain("Remember the word pineapple");
    expect(history).toContain("Noted: the word is pineapple.");
    expect(history).toContain("Which word was it?");
    expect(script.requests[1].headers["x-claude-code-session-id"]).toBe(session);
  });

  // Issue 15's sandbox: the agent in its own namespaces as SANDBOX_UID, though the worker is root,
  // so Claude Code's root refusal does not fire (claudeRootRefusal takes the sandbox's uid).
  it("runs in the worker's bubblewrap sandbox, as an unprivileged user with the run's own HOME, the worker being root", async () => {
    await stack.sandboxWorker();
    const script = stack.model.script([
      call("Bash", { command: "id -u; echo $HOME; cat /proc/1/cmdline | tr '\\0' ' '" }),
      say("Ran inside the sandbox."),
    ]);
    const run = await stack.runToEnd(claudeSpec(`Where am I ${script.tag}`, { requiredLabels: ON_SANDBOX }));
    expect(run.status, `${run.error}\n${await stack.output(run.id)}\n${(await stack.sandboxWorker()).output()}`).toBe(RunStatus.SUCCEEDED);
    expect(run.workerName).toMatch(/-sandboxed$/);
    expect(run.result).toBe("Ran inside the sandbox.");
    const [uid, home, init] = script.resultOf(0)!.output.split("\n");
    expect(uid).toBe(String(SANDBOX_UID));
    // HOME is the run's own, not the worker's (which holds the operator's config and is hidden).
    expect(home).not.toBe(stack.home);
    expect(home).toMatch(/\/home$/);
    // PID 1 is the sandbox's own init (bwrap), not the machine's.
    expect(init).toMatch(/^bwrap /);
    expect(run.agentSessionId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
