import { describe, expect, it } from "vitest";
import { LogStream } from "../../src/gen/flightcontrol/v1/run_pb";
import { createGooseParser } from "../../src/agents/goose-events";
import type { AgentOutput } from "../../src/agents/types";
import { eventSummary, logs } from "./helpers";

const msg = (id: string | null, role: string, content: unknown[]) =>
  JSON.stringify({ type: "message", message: { id, role, created: 1740171566, content, metadata: { userVisible: true, agentVisible: true } } });
const text = (t: string) => ({ type: "text", text: t });

function feed(lines: string[]) {
  const parser = createGooseParser();
  const outputs: AgentOutput[] = [];
  for (const l of lines) outputs.push(...parser.line(l));
  outputs.push(...parser.end());
  return { outputs, verdict: parser.verdict() };
}

describe("goose stream-json parser", () => {
  it("merges streamed pieces of one message id into one AssistantMessage when another message arrives", () => {
    const { outputs, verdict } = feed([
      msg("m1", "assistant", [text("Hel")]),
      msg("m1", "assistant", [text("lo\nthere")]),
      msg("m2", "assistant", [text("Second")]),
      JSON.stringify({ type: "complete", total_tokens: 42 }),
    ]);
    expect(eventSummary(outputs)).toEqual([
      ["assistantMessage", { messageId: "m1", text: "Hello\nthere" }],
      ["assistantMessage", { messageId: "m2", text: "Second" }],
      ["usage", { inputTokens: 0n, outputTokens: 0n, totalTokens: 42n, costUsd: 0 }],
    ]);
    expect(logs(outputs, LogStream.STDOUT)).toEqual(["Hello", "there", "Second"]);
    expect(verdict).toMatchObject({ finished: true, error: undefined, result: "Second" });
    expect(verdict.usage?.totalTokens).toBe(42n);
  });

  it("maps tool requests and responses, flushing pending text first", () => {
    const { outputs } = feed([
      msg("m1", "assistant", [
        text("Running it."),
        { type: "toolRequest", id: "call_1", toolCall: { status: "success", value: { name: "developer__shell", arguments: { command: "ls" } } } },
      ]),
      msg(null, "user", [
        { type: "toolResponse", id: "call_1", toolResult: { status: "success", value: { content: [text("a.txt"), text("b.txt")], isError: false } } },
      ]),
      msg(null, "user", [{ type: "toolResponse", id: "call_2", toolResult: { status: "error", error: "-32603: boom" } }]),
      msg(null, "user", [{ type: "toolResponse", id: "call_3", toolResult: { status: "success", value: [text("legacy")] } }]),
      msg("m2", "assistant", [{ type: "toolRequest", id: "call_4", toolCall: { status: "error", error: "bad json" } }]),
    ]);
    expect(eventSummary(outputs)).toEqual([
      ["assistantMessage", { messageId: "m1", text: "Running it." }],
      ["toolCall", { callId: "call_1", name: "developer__shell", argumentsJson: '{"command":"ls"}' }],
      ["toolResult", { callId: "call_1", output: "a.txt\nb.txt", isError: false }],
      ["toolResult", { callId: "call_2", output: "-32603: boom", isError: true }],
      ["toolResult", { callId: "call_3", output: "legacy", isError: false }],
      ["toolCall", { callId: "call_4", name: "", argumentsJson: '{"error":"bad json"}' }],
    ]);
  });

  it("maps notifications, model changes and errors; an error fails the run even after complete", () => {
    const { outputs, verdict } = feed([
      JSON.stringify({ type: "notification", extension_id: "developer", log: { message: "indexing" } }),
      JSON.stringify({ type: "notification", extension_id: "developer", progress: { progress: 1, total: 4, message: "step" } }),
      JSON.stringify({ type: "model_change", model: "gpt-4o", mode: "auto" }),
      JSON.stringify({ type: "error", error: "provider said no" }),
      JSON.stringify({ type: "complete", total_tokens: null }),
    ]);
    expect(eventSummary(outputs)).toEqual([
      ["notification", { source: "developer", message: "indexing" }],
      ["notification", { source: "developer", message: "step (1/4)" }],
      ["notification", { source: "goose", message: "model changed to gpt-4o (auto)" }],
      ["error", { message: "provider said no" }],
      ["usage", { inputTokens: 0n, outputTokens: 0n, totalTokens: 0n, costUsd: 0 }],
    ]);
    expect(verdict).toMatchObject({ finished: true, error: "provider said no" });
  });

  it("keeps non-event lines as raw logs without ending a message being streamed", () => {
    const { outputs, verdict } = feed([
      msg("m1", "assistant", [text("one ")]),
      "plain text from goose",
      '{"not":"an event"}',
      "[1,2]",
      msg("m1", "assistant", [text("two")]),
      msg(null, "user", [text("echoed prompt")]),
    ]);
    expect(eventSummary(outputs)).toEqual([["assistantMessage", { messageId: "m1", text: "one two" }]]);
    expect(logs(outputs)).toEqual(["plain text from goose", '{"not":"an event"}', "[1,2]", "one two"]);
    // No complete: the stream did not finish.
    expect(verdict).toMatchObject({ finished: false, result: "one two" });
  });

  // Issue #15, defect 7: this test used to assert one message per id-less piece ("a", "b"), which is
  // one event and one log line per token when goose streams without ids.
  it("merges streamed pieces without an id into one message, up to the next event", () => {
    const { outputs } = feed([
      msg(null, "assistant", [text("Hel")]),
      msg(null, "assistant", [text("lo")]),
      msg("m1", "assistant", [{ type: "toolRequest", id: "c1", toolCall: { status: "success", value: { name: "shell", arguments: {} } } }]),
      msg(null, "assistant", [text("Done.")]),
    ]);
    expect(eventSummary(outputs).map(([k, v]) => [k, v.text ?? v.name])).toEqual([
      ["assistantMessage", "Hello"],
      ["toolCall", "shell"],
      ["assistantMessage", "Done."],
    ]);
    expect(logs(outputs)).toEqual(["Hello", "Done."]);
  });

  it("never takes a message marked userVisible false for an answer or the result", () => {
    const hidden = JSON.stringify({
      type: "message",
      message: { id: "h", role: "assistant", created: 1, content: [text("for the model")], metadata: { userVisible: false, agentVisible: true } },
    });
    const { outputs, verdict } = feed([msg("m1", "assistant", [text("The answer")]), hidden, JSON.stringify({ type: "complete", total_tokens: 1 })]);
    expect(eventSummary(outputs).filter(([k]) => k === "assistantMessage")).toEqual([["assistantMessage", { messageId: "m1", text: "The answer" }]]);
    expect(verdict).toMatchObject({ finished: true, result: "The answer" });
  });

  it("fails a run that ran out of turns: goose ends it normally with its max-turns message", () => {
    const maxTurns = "I've reached the maximum number of actions I can do without user input. Would you like me to continue?";
    const parser = createGooseParser({ maxTurns: 3 });
    const outputs = [msg(null, "assistant", [text(maxTurns)]), JSON.stringify({ type: "complete", total_tokens: 9 })].flatMap((l) => parser.line(l));
    expect(eventSummary(outputs)[0]).toEqual(["notification", { source: "goose", message: maxTurns }]);
    expect(parser.verdict()).toMatchObject({ finished: true, error: expect.stringContaining("used all 3 turns the job allows (max_turns)") });
    expect(parser.verdict().result).toBeUndefined();
  });
});
