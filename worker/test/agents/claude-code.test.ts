import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LogStream } from "../../src/gen/flightcontrol/v1/run_pb";
import { createClaudeCodeAgent } from "../../src/agents/claude-code";
import { context, dumpedArgs, eventSummary, logs, runAgent, spec } from "./helpers";
import { FAKE_CLAUDE } from "../../../testkit/paths";

const baseEnv = { ...process.env, ORCH_API_KEY: "worker-secret" };
const claude = createClaudeCodeAgent({ bin: FAKE_CLAUDE, baseEnv });

describe("claude-code agent (fake claude)", () => {
  it("invokes claude -p with stream-json and maps its messages", async () => {
    const ctx = context(
      spec({
        agent: "claude-code",
        prompt: "lines=1 tool_call dump_args",
        systemInstructions: "Be brief.",
        maxTurns: 4,
        model: "claude-opus-4-1",
        extensions: [
          { name: "fs", transport: { case: "stdio", value: { command: "npx", args: ["-y", "server fs"], env: { K: "v w" } } } },
          { name: "remote", transport: { case: "streamableHttp", value: { url: "http://localhost:9/mcp", headers: { Authorization: "Bearer t" } } } },
        ],
      }),
    );
    const { outputs, outcome } = await runAgent(claude, ctx);
    const mcp = {
      mcpServers: {
        fs: { type: "stdio", command: "npx", args: ["-y", "server fs"], env: { K: "v w" } },
        remote: { type: "http", url: "http://localhost:9/mcp", headers: { Authorization: "Bearer t" } },
      },
    };
    // Issue #15, defect 8: the prompt is on stdin, no longer the argument after -p.
    expect(dumpedArgs(outputs)).toEqual([
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--permission-mode",
      "bypassPermissions",
      "--append-system-prompt",
      "Be brief.",
      "--max-turns",
      "4",
      "--model",
      "claude-opus-4-1",
      "--mcp-config",
      join(ctx.workDir, ".flightcontrol", "mcp.json"),
    ]);
    // The servers' env and headers are in a file only the worker's user can read, not in argv.
    const file = join(ctx.workDir, ".flightcontrol", "mcp.json");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(mcp);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(eventSummary(outputs)).toEqual([
      [
        "notification",
        { source: "claude-code", message: expect.stringContaining("model claude-opus-4-1, 3 tools, mcp fs:connected, remote:connected") },
      ],
      ["assistantMessage", { messageId: "msg_line_0", text: "line 0" }],
      ["toolCall", { callId: "toolu_1", name: "Bash", argumentsJson: '{"command":"echo hi"}' }],
      ["toolResult", { callId: "toolu_1", output: "hi", isError: false }],
      ["assistantMessage", { messageId: "msg_final", text: "fake claude finished 1 lines" }],
      ["usage", { inputTokens: 35n, outputTokens: 7n, totalTokens: 42n, costUsd: 0.0123 }],
    ]);
    expect(logs(outputs, LogStream.STDOUT)).toEqual(["line 0", "fake claude finished 1 lines"]);
    expect(outcome).toMatchObject({ ok: true, exitCode: 0, result: "fake claude finished 1 lines" });
    expect(outcome.usage?.costUsd).toBe(0.0123);
  });

  it("fails on an error result, and on a stream without a result", async () => {
    const failed = await runAgent(claude, context(spec({ prompt: "error=max_budget" })));
    expect(failed.outcome).toMatchObject({ ok: false, exitCode: 1, error: "max budget" });
    expect(failed.outcome.usage?.costUsd).toBe(0.0123);
    const cut = await runAgent(claude, context(spec({ prompt: "no_complete" })));
    expect(cut.outcome).toMatchObject({ ok: false, exitCode: 0, error: "claude output ended without a result event" });
  });

  it("shows Claude Code's announced retries (system/api_retry) as readable notifications of a run that succeeded", async () => {
    const { outputs, outcome } = await runAgent(claude, context(spec({ prompt: "retry_error" })));
    expect(eventSummary(outputs)).toContainEqual([
      "notification",
      { source: "claude-code", message: "model request failed (HTTP 429, rate limit); retry 1 of 10 in 1.1 s" },
    ]);
    expect(outcome).toMatchObject({ ok: true });
  });

  it("sends a prompt that starts with a dash through stdin", async () => {
    const { outputs, outcome } = await runAgent(claude, context(spec({ prompt: "-- dump_args lines=1" })));
    expect(dumpedArgs(outputs)).toEqual(["-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "bypassPermissions"]);
    expect(outcome).toMatchObject({ ok: true, result: "fake claude finished 1 lines" });
  });

  it("gives a prompt that names a subcommand to the agent as a prompt (issue #15, defect 8)", async () => {
    for (const prompt of ["doctor", "update", "mcp", "config", "-- doctor"]) {
      const { outputs, outcome } = await runAgent(claude, context(spec({ prompt })));
      expect(logs(outputs).join("\n"), prompt).not.toContain("subcommand");
      expect(outcome, prompt).toMatchObject({ ok: true, result: "fake claude finished 0 lines" });
    }
  });

  it("fails a run that used up its max turns, with the documented max-turns error", async () => {
    const { outputs, outcome } = await runAgent(claude, context(spec({ prompt: "turns=4", maxTurns: 2 })));
    expect(eventSummary(outputs).filter(([k]) => k === "toolCall")).toHaveLength(2);
    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining("claude used all 2 turns the job allows (max_turns)") });
  });

  it("loads two stdio extensions launched by one command under their own names; one that does not start fails the run, named", async () => {
    const stdio = (name: string, command: string) => ({
      name,
      transport: { case: "stdio" as const, value: { command, args: ["-y", `${name}-mcp`] } },
    });
    const both = await runAgent(claude, context(spec({ prompt: "mcp_list", extensions: [stdio("github", "npx"), stdio("linear", "npx")] })));
    expect(logs(both.outputs).filter((l) => l.startsWith("mcp loaded"))).toEqual(["mcp loaded github", "mcp loaded linear"]);
    expect(both.outcome.ok).toBe(true);
    const broken = await runAgent(
      claude,
      context(spec({ prompt: "mcp_list", extensions: [stdio("github", "npx"), stdio("broken", "no-such-mcp-server-here")] })),
    );
    expect(broken.outcome).toMatchObject({ ok: false, error: expect.stringContaining("extension broken (failed) did not start in claude") });
  });

  it("gives claude the credentials but no ORCH_ variables", async () => {
    const ctx = context(spec({ prompt: "print_env=ORCH_API_KEY print_env=ANTHROPIC_API_KEY" }), { credentialEnv: { ANTHROPIC_API_KEY: "sk-ant" } });
    const { outputs } = await runAgent(claude, ctx);
    expect(logs(outputs).slice(0, 2)).toEqual(["ORCH_API_KEY=<unset>", "ANTHROPIC_API_KEY=sk-ant"]);
  });

  it("reports a missing binary as a failed outcome", async () => {
    const { outcome } = await runAgent(createClaudeCodeAgent({ bin: "/nowhere/claude" }), context(spec({ prompt: "x" })));
    expect(outcome).toEqual({ ok: false, error: 'claude binary not found: set ORCH_CLAUDE_BIN (looked for "/nowhere/claude")' });
  });
});
