/**
 * The two model wire formats the real agent CLIs speak, as server-sent events, for the scripted
 * model server (model-server.ts):
 * - Claude Code: the Anthropic Messages streaming API (POST /v1/messages): message_start,
 *   content_block_start / content_block_delta (text_delta, input_json_delta) / content_block_stop,
 *   message_delta (stop_reason, usage), message_stop; an `error` event mid-stream.
 * - Codex: the OpenAI Responses streaming API (POST /v1/responses, wire_api = "responses"):
 *   response.created, response.output_item.added / .done, response.output_text.delta,
 *   response.function_call_arguments.delta, response.completed (usage), response.failed. Codex acts
 *   on output_item.done and completed/failed (codex-rs/codex-api/src/sse/responses.rs).
 */

/** Token figures of one model reply. */
export interface TurnUsage {
  input: number;
  output: number;
  /** Input served from the prompt cache (part of `input` for OpenAI, in addition to it for Anthropic). */
  cached?: number;
}

/** What one reply holds: optional text, then optionally one tool call. */
export interface ReplyContent {
  text?: string;
  /** `namespace`: OpenAI only, a function in a namespace (codex lists an MCP server's tools as namespace mcp__<server>). */
  tool?: { name: string; input: Record<string, unknown> | string; namespace?: string };
}

export const sse = (event: string, data: Record<string, unknown>) => `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`;

/** Text in a few pieces, so the CLIs join deltas as they would a real stream. */
function pieces(text: string): string[] {
  if (text.length < 8) return [text];
  const third = Math.ceil(text.length / 3);
  return [text.slice(0, third), text.slice(third, 2 * third), text.slice(2 * third)];
}

/** Anthropic: the events of one assistant message, and the id given to its tool call. */
export function anthropicReply(n: number, model: string, reply: ReplyContent, usage: TurnUsage): { events: string[]; toolId?: string } {
  const events = [
    sse("message_start", {
      message: {
        id: `msg_${n}`,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.input, output_tokens: 1, cache_read_input_tokens: usage.cached ?? 0, cache_creation_input_tokens: 0 },
      },
    }),
  ];
  let index = 0;
  if (reply.text !== undefined) {
    events.push(sse("content_block_start", { index, content_block: { type: "text", text: "" } }));
    for (const p of pieces(reply.text)) events.push(sse("content_block_delta", { index, delta: { type: "text_delta", text: p } }));
    events.push(sse("content_block_stop", { index }));
    index++;
  }
  let toolId: string | undefined;
  if (reply.tool !== undefined) {
    toolId = `toolu_${n}`;
    events.push(sse("content_block_start", { index, content_block: { type: "tool_use", id: toolId, name: reply.tool.name, input: {} } }));
    for (const p of pieces(JSON.stringify(reply.tool.input))) {
      events.push(sse("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: p } }));
    }
    events.push(sse("content_block_stop", { index }));
  }
  events.push(
    sse("message_delta", { delta: { stop_reason: toolId ? "tool_use" : "end_turn", stop_sequence: null }, usage: { output_tokens: usage.output } }),
    sse("message_stop", {}),
  );
  return { events, toolId };
}

/** Anthropic, not streamed (`"stream": false`): the same reply as one JSON message. */
export function anthropicMessage(
  n: number,
  model: string,
  reply: ReplyContent,
  usage: TurnUsage,
): { body: Record<string, unknown>; toolId?: string } {
  const content: Record<string, unknown>[] = [];
  if (reply.text !== undefined) content.push({ type: "text", text: reply.text });
  const toolId = reply.tool !== undefined ? `toolu_${n}` : undefined;
  if (reply.tool !== undefined) content.push({ type: "tool_use", id: toolId, name: reply.tool.name, input: reply.tool.input });
  const body = {
    id: `msg_${n}`,
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: toolId ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output, cache_read_input_tokens: usage.cached ?? 0, cache_creation_input_tokens: 0 },
  };
  return { body, toolId };
}

/** Anthropic's error body, for an HTTP error or an `error` event. */
export const anthropicError = (type: string, message: string) => ({ type: "error", error: { type, message } });

/**
 * OpenAI Responses: the events of one response, and the call id of its tool call. A tool whose input is a string is a custom
 * (freeform) tool call — codex's apply_patch; an object is a function call (exec_command).
 */
export function openaiReply(n: number, model: string, reply: ReplyContent, usage: TurnUsage): { events: string[]; toolId?: string } {
  const id = `resp_${n}`;
  const events = [sse("response.created", { response: { id, object: "response", status: "in_progress", model, output: [] } })];
  const output: Record<string, unknown>[] = [];
  if (reply.text !== undefined) {
    const itemId = `msg_${n}`;
    const index = output.length;
    events.push(
      sse("response.output_item.added", {
        output_index: index,
        item: { type: "message", id: itemId, role: "assistant", status: "in_progress", content: [] },
      }),
    );
    for (const p of pieces(reply.text)) {
      events.push(sse("response.output_text.delta", { output_index: index, content_index: 0, item_id: itemId, delta: p }));
    }
    const item = {
      type: "message",
      id: itemId,
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: reply.text, annotations: [] }],
    };
    events.push(sse("response.output_item.done", { output_index: index, item }));
    output.push(item);
  }
  let toolId: string | undefined;
  if (reply.tool !== undefined) {
    toolId = `call_${n}`;
    const index = output.length;
    const { name, input } = reply.tool;
    // tool_search is codex's client-executed tool discovery (where its MCP tools are listed).
    const item =
      typeof input === "string"
        ? { type: "custom_tool_call", id: `ctc_${n}`, call_id: toolId, name, input, status: "completed" }
        : name === "tool_search"
          ? { type: "tool_search_call", id: `tsc_${n}`, call_id: toolId, execution: "client", arguments: input, status: "completed" }
          : {
              type: "function_call",
              id: `fc_${n}`,
              call_id: toolId,
              name,
              namespace: reply.tool.namespace,
              arguments: JSON.stringify(input),
              status: "completed",
            };
    events.push(sse("response.output_item.added", { output_index: index, item: { ...item, status: "in_progress" } }));
    if (item.type === "function_call") {
      events.push(sse("response.function_call_arguments.delta", { output_index: index, item_id: item.id, delta: JSON.stringify(input) }));
    }
    events.push(sse("response.output_item.done", { output_index: index, item }));
    output.push(item);
  }
  events.push(
    sse("response.completed", {
      response: {
        id,
        object: "response",
        status: "completed",
        model,
        output,
        usage: {
          input_tokens: usage.input,
          input_tokens_details: { cached_tokens: usage.cached ?? 0 },
          output_tokens: usage.output,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: usage.input + usage.output,
        },
      },
    }),
  );
  return { events, toolId };
}

/** OpenAI's error body for an HTTP error; response.failed carries the inner `error`. */
export const openaiError = (code: string, message: string) => ({ error: { type: code, code, message, param: null } });
