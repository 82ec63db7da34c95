import { agentError, contentText, isRecord, jsonText, makeUsage, notification, str, tokens, toolCall, toolResult, usageEvent } from "./events";
import { createMessageStream } from "./json-lines-parser";
import { maxTurnsError } from "./max-turns";
import type { StreamParser } from "./stream-parser";
import type { AgentOutput } from "./types";

/**
 * Parser for `goose run --output-format stream-json`: one JSON object per line, tagged by `type`:
 * - `message`: {message: {id, role, created, content: [...], metadata}}; content items are tagged
 *   by `type` in camelCase: text, toolRequest {id, toolCall: {status, value: {name, arguments}} |
 *   {status: "error", error}}, toolResponse {id, toolResult: {status, value: {content, isError}} |
 *   {status: "error", error}}, thinking, redactedThinking, image, systemNotification {msg}, ...
 *   Goose streams a reply as several messages with the same id, each holding a piece of text.
 * - `notification`: {extension_id, log: {message}} or {extension_id, progress: {progress, total, message}}
 * - `model_change`: {model, mode}
 * - `error`: {error}. Goose still prints `complete` after it and exits 0.
 * - `complete`: {total_tokens} (null when unknown) — the last line of a normal run.
 * A message's `metadata.userVisible` false marks text meant for the model only (crates/goose/src/
 * conversation/message.rs, MessageMetadata): never an answer, so never the run's result.
 */
export function createGooseParser(options: { maxTurns?: number } = {}): StreamParser {
  const { verdict, add, other, parser } = createMessageStream();

  const onMessage = (message: Record<string, unknown>): AgentOutput[] => {
    const id = typeof message.id === "string" && message.id !== "" ? message.id : undefined;
    const role = str(message.role);
    const content = Array.isArray(message.content) ? message.content : [];
    const hidden = isRecord(message.metadata) && message.metadata.userVisible === false;
    const out: AgentOutput[] = [];
    for (const item of content) {
      if (!isRecord(item)) continue;
      switch (item.type) {
        case "text": {
          // User-role text is goose echoing input back, not an answer.
          if (role !== "assistant" || hidden) break;
          const text = str(item.text);
          if (text === MAX_TURNS_MESSAGE) {
            // Goose ends normally (exit 0, `complete`) when its turns run out; the task is not done.
            verdict.error = maxTurnsError("goose", options.maxTurns ?? 0);
            out.push(...other([notification("goose", text)]));
          } else out.push(...add(id, text));
          break;
        }
        case "toolRequest":
        case "frontendToolRequest":
          out.push(...other([toolRequestEvent(item)]));
          break;
        case "toolResponse":
          out.push(...other([toolResponseEvent(item)]));
          break;
        case "systemNotification":
          out.push(...other([notification("goose", str(item.msg))]));
          break;
        case "actionRequired":
        case "toolConfirmationRequest":
          // GOOSE_MODE=auto should never ask; if it does, nobody can answer, so make it visible.
          out.push(...other([notification("goose", `goose asked for confirmation: ${JSON.stringify(item)}`)]));
          break;
        default:
          // thinking, redactedThinking, image: nothing in the contract carries them.
          break;
      }
    }
    return out;
  };

  // Goose reports no result of its own: the run's result is its last message.
  return parser((obj) => {
    switch (obj.type) {
      case "message":
        return isRecord(obj.message) ? onMessage(obj.message) : undefined;
      case "notification":
        return other([notification(str(obj.extension_id) || "goose", notificationText(obj))]);
      case "model_change":
        return other([notification("goose", `model changed to ${str(obj.model)} (${str(obj.mode)})`)]);
      case "error":
        verdict.error = str(obj.error) || "goose reported an error";
        return other([agentError(verdict.error)]);
      case "complete": {
        verdict.finished = true;
        verdict.usage = makeUsage(0n, 0n, tokens(obj.total_tokens));
        return other([usageEvent(verdict.usage)]);
      }
    }
    // An event this parser does not know is logged as printed (like a line that is not JSON); it does
    // not end a message being streamed.
    return undefined;
  });
}

/**
 * What goose's agent loop says, as an assistant message without an id, when the turns allowed by
 * --max-turns are used up (`turns_taken > max_turns` in crates/goose/src/agents/agent.rs).
 */
const MAX_TURNS_MESSAGE = "I've reached the maximum number of actions I can do without user input. Would you like me to continue?";

function toolRequestEvent(item: Record<string, unknown>): AgentOutput {
  const id = str(item.id);
  const call = isRecord(item.toolCall) ? item.toolCall : {};
  if (call.status === "success" && isRecord(call.value)) {
    return toolCall(id, str(call.value.name), jsonText(call.value.arguments));
  }
  // The model produced a call goose could not parse; keep the reason with the call.
  return toolCall(id, "", jsonText({ error: str(call.error) || "invalid tool call" }));
}

function toolResponseEvent(item: Record<string, unknown>): AgentOutput {
  const id = str(item.id);
  const result = isRecord(item.toolResult) ? item.toolResult : {};
  if (result.status !== "success") return toolResult(id, str(result.error) || "tool failed", true);
  const value = result.value;
  // Older goose versions stored the content list itself as the value.
  const content = Array.isArray(value) ? value : isRecord(value) && Array.isArray(value.content) ? value.content : [];
  const isError = isRecord(value) && value.isError === true;
  return toolResult(id, contentText(content), isError);
}

function notificationText(obj: Record<string, unknown>): string {
  if (isRecord(obj.log)) return str(obj.log.message);
  if (isRecord(obj.progress)) {
    const { progress, total, message } = obj.progress;
    const amount = typeof total === "number" ? `${String(progress)}/${total}` : String(progress);
    return typeof message === "string" && message !== "" ? `${message} (${amount})` : `progress ${amount}`;
  }
  return JSON.stringify(obj);
}
