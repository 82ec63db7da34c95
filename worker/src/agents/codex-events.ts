import type { Usage } from "../gen/flightcontrol/v1/run_pb";
import {
  agentError,
  assistantMessage,
  contentText,
  isRecord,
  jsonText,
  makeUsage,
  notification,
  str,
  textLogs,
  tokens,
  toolCall,
  toolResult,
  usageEvent,
} from "./events";
import { createJsonLinesParser } from "./json-lines-parser";
import type { StreamParser } from "./stream-parser";
import type { AgentOutput } from "./types";

/**
 * Parser for `codex exec --json`: one JSON object per line, tagged by `type`:
 * - `thread.started` {thread_id}, `turn.started` {}
 * - `item.started` / `item.updated` / `item.completed` {item: {id, type, ...}} with item types
 *   agent_message {text}, reasoning {text}, command_execution {command, aggregated_output,
 *   exit_code, status: in_progress|completed|failed|declined}, file_change {changes: [{path, kind}],
 *   status}, mcp_tool_call {server, tool, arguments, result: {content, structured_content}, error:
 *   {message}, status}, web_search {query}, todo_list {items: [{text, completed}]}, error {message}
 *   (a non-fatal warning). Agent messages arrive whole in item.completed.
 * - `turn.completed` {usage: {input_tokens, cached_input_tokens, output_tokens}} — totals for the
 *   thread so far; `turn.failed` {error: {message}}
 * - `error` {message}: a critical error (codex then ends the turn with turn.failed), or a stream
 *   error codex retries ("Reconnecting... 1/5"; EventMsg::StreamError in codex-rs/exec/src/
 *   event_processor_with_jsonl_output.rs prints both alike). So an `error` is held until the next
 *   event says which it was: any progress means it was retried (a notification); turn.failed or the
 *   end of the stream means it was not (an error event).
 */
export function createCodexParser(): StreamParser {
  const announced = new Set<string>();
  let turnCompleted = false;
  let turnFailed: string | undefined;
  let lastError: string | undefined;
  let result: string | undefined;
  let usage: Usage | undefined;
  let heldError: string | undefined;

  /** The held error, now that the stream went on: codex retried and recovered. */
  const retried = (): AgentOutput[] => {
    if (heldError === undefined) return [];
    const out = [notification("codex", `retried after a transient error: ${heldError}`)];
    heldError = undefined;
    return out;
  };

  /** The held error, now that the turn failed or the stream ended: it was not recovered. */
  const unrecovered = (): AgentOutput[] => {
    if (heldError === undefined) return [];
    const out = [agentError(heldError)];
    heldError = undefined;
    return out;
  };

  const announce = (item: Record<string, unknown>): AgentOutput[] => {
    const id = str(item.id);
    if (announced.has(id)) return [];
    const call = describeCall(item);
    if (call === undefined) return [];
    announced.add(id);
    return [toolCall(id, call.name, call.argumentsJson)];
  };

  const onCompleted = (item: Record<string, unknown>): AgentOutput[] => {
    const id = str(item.id);
    switch (item.type) {
      case "agent_message": {
        const text = str(item.text);
        result = text;
        return [assistantMessage(id, text), ...textLogs(text)];
      }
      case "command_execution": {
        const failed = item.status !== "completed" || (typeof item.exit_code === "number" && item.exit_code !== 0);
        return [...announce(item), toolResult(id, str(item.aggregated_output), failed)];
      }
      case "mcp_tool_call": {
        const res = isRecord(item.result) ? item.result : undefined;
        const err = isRecord(item.error) ? str(item.error.message) : "";
        const output = res !== undefined && Array.isArray(res.content) ? contentText(res.content) : err;
        return [...announce(item), toolResult(id, output, item.status === "failed" || err !== "")];
      }
      case "file_change": {
        const changes = Array.isArray(item.changes) ? item.changes.filter(isRecord) : [];
        const output = changes.map((c) => `${str(c.kind)} ${str(c.path)}`).join("\n");
        return [...announce(item), toolResult(id, output, item.status === "failed")];
      }
      case "web_search":
        return [...announce(item), toolResult(id, "", false)];
      case "todo_list":
        return [notification("codex", todoText(item))];
      case "error":
        return [notification("codex", `warning: ${str(item.message)}`)];
      default:
        // reasoning: nothing in the contract carries it.
        return [];
    }
  };

  const onEvent = (obj: Record<string, unknown>): AgentOutput[] | undefined => {
    if (obj.type === "error") {
      const previous = unrecovered();
      heldError = modelMessage(str(obj.message)) || "codex reported an error";
      lastError = heldError;
      return previous;
    }
    if (obj.type === "turn.failed") {
      turnFailed = modelMessage(isRecord(obj.error) ? str(obj.error.message) : "") || lastError || "codex turn failed";
      // The error that failed the turn is usually the one held: report it once.
      if (heldError === turnFailed) heldError = undefined;
      return [...unrecovered(), agentError(turnFailed)];
    }
    const outputs = onProgress(obj);
    return outputs === undefined ? undefined : [...retried(), ...outputs];
  };

  const onProgress = (obj: Record<string, unknown>): AgentOutput[] | undefined => {
    const item = isRecord(obj.item) ? obj.item : undefined;
    switch (obj.type) {
      case "thread.started":
        return [notification("codex", `thread ${str(obj.thread_id)} started`)];
      case "turn.started":
      case "item.updated":
        return [];
      case "item.started":
        return item !== undefined ? announce(item) : [];
      case "item.completed":
        return item !== undefined ? onCompleted(item) : [];
      case "turn.completed": {
        turnCompleted = true;
        const u = isRecord(obj.usage) ? obj.usage : {};
        // cached_input_tokens (and codex 0.171's cache_write_input_tokens) are parts of input_tokens,
        // and reasoning_output_tokens a part of output_tokens, as in the Responses API's usage: not
        // additions to them.
        usage = makeUsage(tokens(u.input_tokens), tokens(u.output_tokens));
        return [usageEvent(usage)];
      }
    }
    return undefined;
  };

  // Agent messages arrive whole: only a held error can be pending when stdout ends.
  return createJsonLinesParser(onEvent, {
    end: unrecovered,
    verdict: () => ({
      finished: turnCompleted,
      error: turnFailed ?? (turnCompleted ? undefined : lastError),
      result,
      usage,
    }),
  });
}

/**
 * When the model's API refuses a request, codex 0.171 passes the HTTP body on verbatim as the
 * `error` and `turn.failed` message (seen in server/test/real-cli/codex.test.ts):
 * `{"error":{"type":"invalid_request_error","message":"Invalid input: …",…}}`. The model's own
 * message is what the user can act on; any text codex put before the body is kept.
 */
export function modelMessage(message: string): string {
  const at = message.indexOf("{");
  if (at === -1) return message;
  try {
    const body: unknown = JSON.parse(message.slice(at));
    const inner = isRecord(body) && isRecord(body.error) ? str(body.error.message) : "";
    if (inner === "") return message;
    const before = message.slice(0, at).trim();
    return before === "" ? inner : `${before} ${inner}`;
  } catch {
    return message;
  }
}

function describeCall(item: Record<string, unknown>): { name: string; argumentsJson: string } | undefined {
  switch (item.type) {
    case "command_execution":
      return { name: "command_execution", argumentsJson: jsonText({ command: str(item.command) }) };
    case "mcp_tool_call":
      return { name: `${str(item.server)}.${str(item.tool)}`, argumentsJson: jsonText(item.arguments) };
    case "file_change":
      return { name: "file_change", argumentsJson: jsonText({ changes: item.changes }) };
    case "web_search":
      return { name: "web_search", argumentsJson: jsonText({ query: str(item.query) }) };
    default:
      return undefined;
  }
}

function todoText(item: Record<string, unknown>): string {
  const items = Array.isArray(item.items) ? item.items.filter(isRecord) : [];
  return `plan: ${items.map((t) => `[${t.completed === true ? "x" : " "}] ${str(t.text)}`).join("; ")}`;
}
