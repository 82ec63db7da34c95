import { contentText, isRecord, jsonText, makeUsage, notification, str, tokens, toolCall, toolResult, usageEvent } from "./events";
import { createMessageStream } from "./json-lines-parser";
import { maxTurnsError } from "./max-turns";
import type { StreamParser } from "./stream-parser";
import type { AgentOutput } from "./types";

/**
 * Parser for `claude -p --output-format stream-json --verbose`: one JSON object per line, tagged by `type`:
 * - `system` (subtype `init`: session_id, model, tools, mcp_servers, permissionMode, ...)
 * - `assistant`: {message: {id, role, content: [{type: text, text} | {type: tool_use, id, name, input}
 *   | {type: thinking, ...}], usage}, parent_tool_use_id, session_id}. Claude Code prints one
 *   `assistant` line per content block, repeating the API message id.
 * - `user`: {message: {content: [{type: tool_result, tool_use_id, content: string | blocks, is_error}]}}
 * - `result`: {subtype: success | error_max_turns | error_during_execution | ..., is_error, result,
 *   errors?, num_turns, total_cost_usd, usage: {input_tokens, output_tokens,
 *   cache_creation_input_tokens, cache_read_input_tokens}} — the last line of every run.
 * Claude Code carries on when an MCP server does not start: its `init` message lists the server
 * with `status: "failed"` (or "needs-auth"), and `mcp_server_errors` lists --mcp-config entries it
 * skipped as invalid (CHANGELOG 2.1.x). A server the job asked for (`extensions`) that did not
 * start fails the run.
 */
export interface ClaudeParserOptions {
  maxTurns?: number;
  /** The job's MCP servers, by the names they have in the --mcp-config file. */
  extensions?: string[];
}

export function createClaudeParser(options: ClaudeParserOptions = {}): StreamParser {
  const { verdict, add, other, parser } = createMessageStream();
  const wanted = new Set(options.extensions ?? []);

  const onInit = (obj: Record<string, unknown>): void => {
    const broken: string[] = [];
    for (const s of Array.isArray(obj.mcp_servers) ? obj.mcp_servers.filter(isRecord) : []) {
      const status = str(s.status);
      if (wanted.has(str(s.name)) && (status === "failed" || status === "needs-auth")) broken.push(`${str(s.name)} (${status})`);
    }
    for (const e of Array.isArray(obj.mcp_server_errors) ? obj.mcp_server_errors : []) {
      broken.push(
        typeof e === "string"
          ? e
          : isRecord(e)
            ? `${str(e.name) || str(e.server)} (${str(e.error) || str(e.message) || "invalid"})`
            : JSON.stringify(e),
      );
    }
    if (broken.length > 0) {
      verdict.error ??= `extension ${broken.join(", ")} did not start in claude; check its command, arguments and environment`;
    }
  };

  const onAssistant = (message: Record<string, unknown>): AgentOutput[] => {
    const id = str(message.id) || undefined;
    const out: AgentOutput[] = [];
    for (const block of Array.isArray(message.content) ? message.content : []) {
      if (!isRecord(block)) continue;
      if (block.type === "text") out.push(...add(id, str(block.text)));
      else if (block.type === "tool_use" || block.type === "server_tool_use") {
        out.push(...other([toolCall(str(block.id), str(block.name), jsonText(block.input))]));
      }
    }
    return out;
  };

  const onUser = (message: Record<string, unknown>): AgentOutput[] => {
    const out: AgentOutput[] = [];
    for (const block of Array.isArray(message.content) ? message.content : []) {
      if (!isRecord(block) || block.type !== "tool_result") continue;
      const content = typeof block.content === "string" ? block.content : contentText(Array.isArray(block.content) ? block.content : []);
      out.push(...other([toolResult(str(block.tool_use_id), content, block.is_error === true)]));
    }
    return out;
  };

  const onResult = (obj: Record<string, unknown>): AgentOutput[] => {
    verdict.finished = true;
    const u = isRecord(obj.usage) ? obj.usage : {};
    // Cache reads and writes are input the model processed (and was billed for).
    const input = tokens(u.input_tokens) + tokens(u.cache_creation_input_tokens) + tokens(u.cache_read_input_tokens);
    verdict.usage = makeUsage(input, tokens(u.output_tokens), undefined, obj.total_cost_usd as number);
    const text = str(obj.result);
    if (obj.subtype === "error_max_turns") {
      verdict.error ??= maxTurnsError("claude", options.maxTurns ?? tokensToNumber(obj.num_turns));
    } else if (obj.is_error === true || (obj.subtype !== undefined && obj.subtype !== "success")) {
      const errors = Array.isArray(obj.errors) ? obj.errors.map((e) => (typeof e === "string" ? e : JSON.stringify(e))) : [];
      verdict.error ??= text || errors.join("; ") || `claude ended with ${str(obj.subtype) || "an error"}`;
    } else if (text !== "") {
      verdict.result = text;
    }
    return other([usageEvent(verdict.usage)]);
  };

  return parser((obj) => {
    switch (obj.type) {
      case "assistant":
        return isRecord(obj.message) ? onAssistant(obj.message) : undefined;
      case "user":
        return isRecord(obj.message) ? onUser(obj.message) : undefined;
      case "system":
        if (obj.subtype === "init") onInit(obj);
        return other([notification("claude-code", systemText(obj))]);
      case "result":
        return onResult(obj);
    }
    return undefined;
  });
}

function tokensToNumber(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function systemText(obj: Record<string, unknown>): string {
  if (obj.subtype === "init") {
    const tools = Array.isArray(obj.tools) ? obj.tools.length : 0;
    const servers = Array.isArray(obj.mcp_servers) ? obj.mcp_servers.filter(isRecord).map((s) => `${str(s.name)}:${str(s.status)}`) : [];
    const parts = [`session ${str(obj.session_id)} started`, `model ${str(obj.model)}`, `${tools} tools`];
    if (servers.length > 0) parts.push(`mcp ${servers.join(", ")}`);
    return parts.join(", ");
  }
  if (obj.subtype === "api_retry") return retryText(obj);
  return `${str(obj.subtype) || "system"}: ${JSON.stringify(obj)}`;
}

/**
 * Claude Code announces each retry of a failed model request with a `system`/`api_retry` line
 * (2.1.332, seen in server/test/real-cli/claude-code.test.ts): {attempt, max_retries,
 * retry_delay_ms, error_status (the HTTP status, or null for a dropped connection), error
 * ("rate_limit", "overloaded", "unknown", …)}. As a sentence, not raw JSON.
 */
function retryText(obj: Record<string, unknown>): string {
  const status = typeof obj.error_status === "number" ? `HTTP ${obj.error_status}` : "no HTTP status";
  const kind = str(obj.error);
  const cause = kind !== "" ? `${status}, ${kind.replaceAll("_", " ")}` : status;
  const of = typeof obj.max_retries === "number" ? ` of ${obj.max_retries}` : "";
  const delay = typeof obj.retry_delay_ms === "number" ? ` in ${(obj.retry_delay_ms / 1000).toFixed(1)} s` : "";
  return `model request failed (${cause}); retry ${tokensToNumber(obj.attempt)}${of}${delay}`;
}
