import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { anthropicError, anthropicMessage, anthropicReply, openaiError, openaiReply, sse, type ReplyContent, type TurnUsage } from "./model-sse";

/**
 * A scripted model for the real agent CLIs (Claude Code and Codex) on 127.0.0.1: it answers their
 * model requests from a script instead of a model, records every request for assertions, and is
 * also the HTTP proxy the tests give the CLIs, so any attempt to reach beyond 127.0.0.1 is
 * recorded (`outside`) and refused.
 *
 * A test registers a script, puts the script's tag in its prompt, and each model request whose
 * conversation contains that tag is answered with the script's next turn. Requests no script claims
 * are answered with a short text and kept in `unmatched`.
 */

export type Turn =
  /** A reply: text, and/or one tool call (stop reason tool_use / a function_call item). */
  | { reply: ReplyContent; usage?: TurnUsage }
  /** An HTTP error before any event: 429 with retry-after, 500, 529 overloaded, 400 ... */
  | { error: { status: number; type: string; message: string; retryAfterSeconds?: number } }
  /** HTTP 200, then an error event (Anthropic `error`, OpenAI `response.failed`) instead of the reply. */
  | { streamError: { type: string; message: string } }
  /** HTTP 200 and the start of a reply, then the connection is dropped. */
  | { cut: true }
  /** HTTP 200 and the start of a reply, then nothing: held open until the client goes away. */
  | { hang: true };

export const say = (text: string, usage?: TurnUsage): Turn => ({ reply: { text }, usage });
/** A tool call: an object input is a JSON tool (Bash, Write, exec_command), a string a freeform one (apply_patch). */
export const call = (name: string, input: Record<string, unknown> | string, text?: string, usage?: TurnUsage): Turn => ({
  reply: { text, tool: { name, input } },
  usage,
});
/** OpenAI: a call of function `name` in `namespace` (codex's MCP tools: namespace mcp__<server>). */
export const callIn = (namespace: string, name: string, input: Record<string, unknown>): Turn => ({ reply: { tool: { name, input, namespace } } });
export const fail = (status: number, type: string, message: string, retryAfterSeconds?: number): Turn => ({
  error: { status, type, message, retryAfterSeconds },
});
export const failMidStream = (type: string, message: string): Turn => ({ streamError: { type, message } });
export const cut = (): Turn => ({ cut: true });
export const hang = (): Turn => ({ hang: true });

export type ModelApi = "anthropic" | "openai";

export interface ToolResult {
  toolId: string;
  output: string;
  isError: boolean;
}

export interface RecordedRequest {
  api: ModelApi | "other";
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  body: Record<string, unknown> | undefined;
  /** Tool results the request carries back (Anthropic tool_result blocks, OpenAI *_call_output items). */
  toolResults: ToolResult[];
}

export interface Script {
  /** Put this in the prompt: requests whose body contains it play this script. */
  tag: string;
  turns: Turn[];
  /** The requests this script answered, in order (retries included). */
  requests: RecordedRequest[];
  /** The result the agent sent back for the tool call of turn `i`, once it has. */
  resultOf(i: number): ToolResult | undefined;
  /** Turns not yet played. */
  readonly remaining: number;
}

export interface ModelServer {
  url: string;
  /** ANTHROPIC_BASE_URL for Claude Code (it appends /v1/messages). */
  anthropicBaseUrl: string;
  /** base_url of a Codex model provider (it appends /responses). */
  openaiBaseUrl: string;
  /** HTTP(S)_PROXY for the CLIs: whatever goes through it is not 127.0.0.1 and is refused. */
  proxyUrl: string;
  script(turns: Turn[], tag?: string): Script;
  requests: RecordedRequest[];
  unmatched: RecordedRequest[];
  /** Hosts (or URLs) a CLI tried to reach through the proxy. */
  outside: string[];
  close(): Promise<void>;
}

export async function startModelServer(): Promise<ModelServer> {
  const scripts: Array<Script & { next: number; toolIds: Map<number, string>; results: Map<string, ToolResult> }> = [];
  const requests: RecordedRequest[] = [];
  const unmatched: RecordedRequest[] = [];
  const outside: string[] = [];
  const sockets = new Set<Socket>();
  let replies = 0;

  const server = createServer(async (req, res) => {
    if (/^https?:\/\//.test(req.url ?? "")) {
      // A plain-HTTP request through the proxy: its target is not us.
      outside.push(req.url!);
      res.writeHead(403).end();
      return;
    }
    const raw = await readBody(req);
    const path = (req.url ?? "/").split("?")[0];
    const api: RecordedRequest["api"] = path === "/v1/messages" ? "anthropic" : path === "/v1/responses" ? "openai" : "other";
    const body = parseJson(raw);
    const rec: RecordedRequest = { api, method: req.method ?? "GET", path, headers: req.headers, body, toolResults: toolResults(api, body) };
    requests.push(rec);
    if (api === "other" || req.method !== "POST") return answerOther(rec, res);
    const script = scripts.find((s) => raw.includes(s.tag));
    if (script === undefined) {
      unmatched.push(rec);
      return play(api, { reply: { text: "(no script matches this request)" } }, rec, res);
    }
    script.requests.push(rec);
    for (const r of rec.toolResults) script.results.set(r.toolId, r);
    const i = script.next;
    // A script that ran out ends the conversation rather than erroring, which the CLIs would retry.
    const turn = script.turns[i] ?? { reply: { text: "(the script has no more turns)" } };
    if (i < script.turns.length) script.next++;
    const toolId = play(api, turn, rec, res);
    if (toolId !== undefined) script.toolIds.set(i, toolId);
  });

  /** Writes the turn; returns the id given to its tool call. */
  function play(api: ModelApi, turn: Turn, rec: RecordedRequest, res: ServerResponse): string | undefined {
    const model = typeof rec.body?.model === "string" ? rec.body.model : "scripted-model";
    const n = ++replies;
    if ("error" in turn) {
      const { status, type, message, retryAfterSeconds } = turn.error;
      const headers: Record<string, string> = { "content-type": "application/json", "request-id": `req_${n}`, "x-request-id": `req_${n}` };
      if (retryAfterSeconds !== undefined) headers["retry-after"] = String(retryAfterSeconds);
      res.writeHead(status, headers).end(JSON.stringify(api === "anthropic" ? anthropicError(type, message) : openaiError(type, message)));
      return undefined;
    }
    if ("reply" in turn && api === "anthropic" && rec.body?.stream === false) {
      // Claude Code retries a failed stream without streaming.
      const { body, toolId } = anthropicMessage(n, model, turn.reply, turn.usage ?? { input: 10, output: 5 });
      res.writeHead(200, { "content-type": "application/json", "request-id": `req_${n}` }).end(JSON.stringify(body));
      return toolId;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "request-id": `req_${n}` });
    if ("reply" in turn) {
      const usage = turn.usage ?? { input: 10, output: 5 };
      const { events, toolId } = api === "anthropic" ? anthropicReply(n, model, turn.reply, usage) : openaiReply(n, model, turn.reply, usage);
      res.end(events.join(""));
      return toolId;
    }
    const start = (api === "anthropic" ? anthropicReply : openaiReply)(
      n,
      model,
      { text: "Working on it, one moment" },
      { input: 10, output: 5 },
    ).events;
    if ("streamError" in turn) {
      const { type, message } = turn.streamError;
      const failed =
        api === "anthropic"
          ? sse("error", anthropicError(type, message))
          : sse("response.failed", { response: { id: `resp_${n}`, status: "failed", error: { code: type, message } } });
      res.end(start.slice(0, 2).join("") + failed);
    } else if ("cut" in turn) {
      // The first events and part of a text delta, then the TCP connection goes.
      res.write(start.slice(0, 3).join(""));
      res.write('event: partial\ndata: {"type":"par');
      setTimeout(() => res.socket?.destroy(), 20);
    } else {
      res.write(start.slice(0, 3).join(""));
    }
    return undefined;
  }

  function answerOther(rec: RecordedRequest, res: ServerResponse): void {
    if (rec.path === "/v1/messages/count_tokens") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ input_tokens: JSON.stringify(rec.body ?? {}).length >> 2 }));
    } else if (rec.path === "/v1/models" && rec.method === "GET") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data: [], has_more: false }));
    } else {
      unmatched.push(rec);
      res
        .writeHead(404, { "content-type": "application/json" })
        .end(JSON.stringify(anthropicError("not_found_error", `no ${rec.method} ${rec.path} here`)));
    }
  }

  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  // HTTPS through the proxy arrives as CONNECT host:port.
  server.on("connect", (req, socket) => {
    outside.push(req.url ?? "?");
    // A CONNECT socket is ours alone (the HTTP server no longer handles its errors): a CLI killed
    // while it is open resets it, which unhandled was an uncaught ECONNRESET in the test process
    // (seen in a full run, during codex's cancel test).
    socket.on("error", () => undefined);
    socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    anthropicBaseUrl: url,
    openaiBaseUrl: `${url}/v1`,
    proxyUrl: url,
    requests,
    unmatched,
    outside,
    script(turns, tag = `fc-script-${randomBytes(4).toString("hex")}`) {
      const s = {
        tag,
        turns,
        requests: [] as RecordedRequest[],
        next: 0,
        toolIds: new Map<number, string>(),
        results: new Map<string, ToolResult>(),
        resultOf(i: number) {
          const id = s.toolIds.get(i);
          return id === undefined ? undefined : s.results.get(id);
        },
        get remaining() {
          return s.turns.length - s.next;
        },
      };
      scripts.push(s);
      return s;
    },
    async close() {
      // Held (hanging) responses would keep close() waiting forever.
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(raw: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(raw);
    return typeof v === "object" && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}

const text = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
      ? content.map((b) => (typeof b === "object" && b !== null && "text" in b ? String(b.text) : "")).join("")
      : content === undefined
        ? ""
        : JSON.stringify(content);

function toolResults(api: RecordedRequest["api"], body: Record<string, unknown> | undefined): ToolResult[] {
  const out: ToolResult[] = [];
  if (api === "anthropic" && Array.isArray(body?.messages)) {
    for (const m of body.messages) {
      for (const b of Array.isArray(m?.content) ? m.content : []) {
        if (b?.type === "tool_result") out.push({ toolId: String(b.tool_use_id), output: text(b.content), isError: b.is_error === true });
      }
    }
  } else if (api === "openai" && Array.isArray(body?.input)) {
    for (const item of body.input) {
      if (item?.type === "function_call_output" || item?.type === "custom_tool_call_output") {
        // Codex reports a failed command in the output text (exit code), not as a flag.
        out.push({ toolId: String(item.call_id), output: text(item.output), isError: false });
      } else if (item?.type === "tool_search_output") {
        out.push({ toolId: String(item.call_id), output: JSON.stringify(item.tools), isError: false });
      }
    }
  }
  return out;
}
