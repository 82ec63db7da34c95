import { describe, expect, it } from "vitest";
import { createCodexParser, modelMessage } from "../../src/agents/codex-events";
import type { AgentOutput } from "../../src/agents/types";
import { eventSummary, logs } from "./helpers";

function feed(lines: unknown[]) {
  const parser = createCodexParser();
  const outputs: AgentOutput[] = [];
  for (const l of lines) outputs.push(...parser.line(typeof l === "string" ? l : JSON.stringify(l)));
  outputs.push(...parser.end());
  return { outputs, verdict: parser.verdict() };
}

const cmd = { id: "item_1", type: "command_execution", command: "bash -lc ls", aggregated_output: "", exit_code: null, status: "in_progress" };

describe("codex exec --json parser", () => {
  it("maps items and turn usage", () => {
    const { outputs, verdict } = feed([
      { type: "thread.started", thread_id: "t1" },
      { type: "turn.started" },
      { type: "item.completed", item: { id: "item_0", type: "reasoning", text: "**Thinking**" } },
      { type: "item.started", item: cmd },
      { type: "item.updated", item: { ...cmd, aggregated_output: "a" } },
      { type: "item.completed", item: { ...cmd, aggregated_output: "a\nb\n", exit_code: 0, status: "completed" } },
      {
        type: "item.completed",
        item: { id: "item_2", type: "command_execution", command: "false", aggregated_output: "", exit_code: 1, status: "failed" },
      },
      {
        type: "item.started",
        item: {
          id: "item_3",
          type: "mcp_tool_call",
          server: "docs",
          tool: "search",
          arguments: { q: "x" },
          result: null,
          error: null,
          status: "in_progress",
        },
      },
      {
        type: "item.completed",
        item: {
          id: "item_3",
          type: "mcp_tool_call",
          server: "docs",
          tool: "search",
          arguments: { q: "x" },
          result: { content: [{ type: "text", text: "hit" }], structured_content: null },
          error: null,
          status: "completed",
        },
      },
      { type: "item.completed", item: { id: "item_4", type: "file_change", changes: [{ path: "a.txt", kind: "add" }], status: "completed" } },
      {
        type: "item.completed",
        item: {
          id: "item_5",
          type: "todo_list",
          items: [
            { text: "one", completed: true },
            { text: "two", completed: false },
          ],
        },
      },
      { type: "item.completed", item: { id: "item_6", type: "error", message: "heads up" } },
      { type: "item.completed", item: { id: "item_7", type: "agent_message", text: "Done.\nBye." } },
      { type: "turn.completed", usage: { input_tokens: 100, cached_input_tokens: 40, output_tokens: 20 } },
    ]);
    expect(eventSummary(outputs)).toEqual([
      ["notification", { source: "codex", message: "thread t1 started" }],
      ["toolCall", { callId: "item_1", name: "command_execution", argumentsJson: '{"command":"bash -lc ls"}' }],
      ["toolResult", { callId: "item_1", output: "a\nb\n", isError: false }],
      ["toolCall", { callId: "item_2", name: "command_execution", argumentsJson: '{"command":"false"}' }],
      ["toolResult", { callId: "item_2", output: "", isError: true }],
      ["toolCall", { callId: "item_3", name: "docs.search", argumentsJson: '{"q":"x"}' }],
      ["toolResult", { callId: "item_3", output: "hit", isError: false }],
      ["toolCall", { callId: "item_4", name: "file_change", argumentsJson: '{"changes":[{"path":"a.txt","kind":"add"}]}' }],
      ["toolResult", { callId: "item_4", output: "add a.txt", isError: false }],
      ["notification", { source: "codex", message: "plan: [x] one; [ ] two" }],
      ["notification", { source: "codex", message: "warning: heads up" }],
      ["assistantMessage", { messageId: "item_7", text: "Done.\nBye." }],
      ["usage", { inputTokens: 100n, outputTokens: 20n, totalTokens: 120n, costUsd: 0 }],
    ]);
    expect(logs(outputs)).toEqual(["Done.", "Bye."]);
    expect(verdict).toMatchObject({ finished: true, error: undefined, result: "Done.\nBye." });
  });

  // Issue #15, defect 9: this test used to expect an "error" event here, in a run that succeeded.
  it("reports a retried stream error that the stream recovers from as a notification, not an error", () => {
    const { outputs, verdict } = feed([
      { type: "error", message: "Reconnecting... 1/5" },
      { type: "item.completed", item: { id: "item_0", type: "agent_message", text: "ok" } },
      { type: "turn.completed", usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 } },
    ]);
    expect(eventSummary(outputs)[0]).toEqual(["notification", { source: "codex", message: "retried after a transient error: Reconnecting... 1/5" }]);
    expect(eventSummary(outputs).filter(([k]) => k === "error")).toEqual([]);
    expect(verdict).toMatchObject({ finished: true, error: undefined });
  });

  it("reports an error the turn then fails on once, as an error", () => {
    const { outputs, verdict } = feed([
      { type: "turn.started" },
      { type: "error", message: "quota exceeded" },
      { type: "turn.failed", error: { message: "quota exceeded" } },
    ]);
    expect(eventSummary(outputs)).toEqual([["error", { message: "quota exceeded" }]]);
    expect(verdict).toMatchObject({ finished: false, error: "quota exceeded" });
  });

  it("fails on turn.failed, or on an error with no completed turn", () => {
    expect(feed([{ type: "turn.failed", error: { message: "quota" } }]).verdict).toMatchObject({ finished: false, error: "quota" });
    expect(feed([{ type: "error", message: "stream closed" }]).verdict).toMatchObject({ finished: false, error: "stream closed" });
    const raw = feed(["not json", "{broken"]);
    expect(logs(raw.outputs)).toEqual(["not json", "{broken"]);
    expect(raw.verdict.finished).toBe(false);
  });

  // Codex 0.171 passes a refused request's HTTP body on verbatim (server/test/real-cli/codex.test.ts).
  it("makes the model's own message, not the HTTP body around it, the run's error", () => {
    const body = JSON.stringify({ error: { type: "invalid_request_error", code: "invalid_request_error", message: "Invalid input", param: null } });
    const { outputs, verdict } = feed([
      { type: "thread.started", thread_id: "t1" },
      { type: "error", message: body },
      { type: "turn.failed", error: { message: body } },
    ]);
    expect(eventSummary(outputs).filter(([k]) => k === "error")).toEqual([["error", { message: "Invalid input" }]]);
    expect(verdict).toMatchObject({ finished: false, error: "Invalid input" });
    expect(modelMessage(`unexpected status 400 Bad Request: ${body}`)).toBe("unexpected status 400 Bad Request: Invalid input");
    expect(modelMessage("stream disconnected {not json")).toBe("stream disconnected {not json");
    expect(modelMessage('{"detail":"no error field"}')).toBe('{"detail":"no error field"}');
  });

  it("takes codex 0.171's extra usage fields as parts of input and output, not additions", () => {
    const { verdict } = feed([
      {
        type: "turn.completed",
        usage: { input_tokens: 120, cached_input_tokens: 20, cache_write_input_tokens: 10, output_tokens: 17, reasoning_output_tokens: 7 },
      },
    ]);
    expect(verdict.usage).toMatchObject({ inputTokens: 120n, outputTokens: 17n, totalTokens: 137n });
  });
});
