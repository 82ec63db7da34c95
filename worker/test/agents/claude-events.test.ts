import { describe, expect, it } from "vitest";
import { createClaudeParser } from "../../src/agents/claude-events";
import type { AgentOutput } from "../../src/agents/types";
import { eventSummary, logs } from "./helpers";

const assistant = (id: string, content: unknown[]) =>
  JSON.stringify({
    type: "assistant",
    message: { id, type: "message", role: "assistant", model: "claude-sonnet-4-5", content },
    parent_tool_use_id: null,
    session_id: "s1",
  });

function feed(lines: string[]) {
  const parser = createClaudeParser();
  const outputs: AgentOutput[] = [];
  for (const l of lines) outputs.push(...parser.line(l));
  outputs.push(...parser.end());
  return { outputs, verdict: parser.verdict() };
}

const init = JSON.stringify({
  type: "system",
  subtype: "init",
  session_id: "s1",
  model: "claude-sonnet-4-5",
  tools: ["Bash", "Read"],
  mcp_servers: [{ name: "docs", status: "connected" }],
  permissionMode: "bypassPermissions",
  cwd: "/tmp/x",
});

describe("claude stream-json parser", () => {
  it("maps init, text blocks per message id, tool use and tool results, and the result", () => {
    const { outputs, verdict } = feed([
      init,
      assistant("msg_1", [{ type: "thinking", thinking: "hmm" }]),
      assistant("msg_1", [{ type: "text", text: "Let me look." }]),
      assistant("msg_1", [{ type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } }]),
      JSON.stringify({
        type: "user",
        message: { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a\nb", is_error: false }] },
      }),
      JSON.stringify({
        type: "user",
        message: {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "toolu_2", content: [{ type: "text", text: "denied" }], is_error: true }],
        },
      }),
      assistant("msg_2", [{ type: "text", text: "All " }]),
      assistant("msg_2", [{ type: "text", text: "done." }]),
      JSON.stringify({
        type: "result",
        subtype: "success",
        is_error: false,
        result: "All done.",
        num_turns: 2,
        total_cost_usd: 0.25,
        usage: { input_tokens: 10, cache_creation_input_tokens: 5, cache_read_input_tokens: 100, output_tokens: 30 },
      }),
    ]);
    expect(eventSummary(outputs)).toEqual([
      ["notification", { source: "claude-code", message: "session s1 started, model claude-sonnet-4-5, 2 tools, mcp docs:connected" }],
      ["assistantMessage", { messageId: "msg_1", text: "Let me look." }],
      ["toolCall", { callId: "toolu_1", name: "Bash", argumentsJson: '{"command":"ls"}' }],
      ["toolResult", { callId: "toolu_1", output: "a\nb", isError: false }],
      ["toolResult", { callId: "toolu_2", output: "denied", isError: true }],
      ["assistantMessage", { messageId: "msg_2", text: "All done." }],
      ["usage", { inputTokens: 115n, outputTokens: 30n, totalTokens: 145n, costUsd: 0.25 }],
    ]);
    expect(logs(outputs)).toEqual(["Let me look.", "All done."]);
    expect(verdict).toMatchObject({ finished: true, error: undefined, result: "All done." });
  });

  it("fails on an error result and reports its message", () => {
    const { verdict } = feed([
      JSON.stringify({ type: "result", subtype: "error_max_turns", is_error: true, num_turns: 3, total_cost_usd: 0.1, usage: {} }),
    ]);
    // Issue #15, defect 5: max turns has one documented meaning (agents/max-turns.ts) and one message.
    expect(verdict).toMatchObject({ finished: true, error: expect.stringContaining("claude used all 3 turns the job allows (max_turns)") });
    const api = feed([JSON.stringify({ type: "result", subtype: "success", is_error: true, result: "API Error: 401" })]).verdict;
    expect(api.error).toBe("API Error: 401");
    const errs = feed([JSON.stringify({ type: "result", subtype: "error_during_execution", is_error: true, errors: ["a", "b"] })]).verdict;
    expect(errs.error).toBe("a; b");
  });

  it("fails a run when an MCP server the job asked for did not start (Claude Code carries on)", () => {
    const init = (servers: unknown[]) =>
      JSON.stringify({ type: "system", subtype: "init", session_id: "s", model: "m", tools: [], mcp_servers: servers });
    const result = JSON.stringify({ type: "result", subtype: "success", is_error: false, result: "done", usage: {} });
    const parse = (lines: string[]) => {
      const parser = createClaudeParser({ extensions: ["docs", "search"] });
      for (const l of lines) parser.line(l);
      return parser.verdict();
    };
    const failed = parse([
      init([
        { name: "docs", status: "connected" },
        { name: "search", status: "failed" },
        { name: "operators-own", status: "failed" },
      ]),
      result,
    ]);
    expect(failed).toMatchObject({ finished: true, error: expect.stringContaining("extension search (failed) did not start in claude") });
    expect(failed.error).not.toContain("operators-own");
    expect(
      parse([
        init([
          { name: "docs", status: "connected" },
          { name: "search", status: "connected" },
        ]),
        result,
      ]),
    ).toMatchObject({ error: undefined, result: "done" });
  });

  it("has no verdict without a result, and keeps other lines as logs", () => {
    const { outputs, verdict } = feed([assistant("m", [{ type: "text", text: "partial" }]), "Error: something", '{"type":"rate_limit_event"}']);
    expect(verdict).toMatchObject({ finished: false, result: "partial" });
    expect(logs(outputs)).toEqual(["Error: something", '{"type":"rate_limit_event"}', "partial"]);
  });

  // Claude Code 2.1.332 (server/test/real-cli/claude-code.test.ts) announces retries this way.
  it("shows a retried model request (system/api_retry) as a sentence, not raw JSON", () => {
    const retry = (attempt: number, status: number | null, error: string) =>
      JSON.stringify({
        type: "system",
        subtype: "api_retry",
        attempt,
        max_retries: 2,
        retry_delay_ms: 1054,
        error_status: status,
        error,
        session_id: "s1",
      });
    const { outputs } = feed([init, retry(1, 429, "rate_limit"), retry(2, null, "unknown")]);
    expect(eventSummary(outputs).slice(1)).toEqual([
      ["notification", { source: "claude-code", message: "model request failed (HTTP 429, rate limit); retry 1 of 2 in 1.1 s" }],
      ["notification", { source: "claude-code", message: "model request failed (no HTTP status, unknown); retry 2 of 2 in 1.1 s" }],
    ]);
  });
});
