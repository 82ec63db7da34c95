import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, cut, fail, failMidStream, hang, say, startModelServer, type ModelServer } from "./model-server";

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer();
});
afterAll(async () => {
  await server?.close();
});

/** The SSE events of a response body, parsed. */
function events(body: string): Array<Record<string, unknown>> {
  return body
    .split("\n\n")
    .filter((block) => block.includes("data: "))
    .map((block) => JSON.parse(block.slice(block.indexOf("data: ") + 6)));
}

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("scripted model server", () => {
  it("streams Anthropic messages: text deltas, a tool_use block with input_json_delta, stop reasons and usage", async () => {
    const s = server.script([call("Bash", { command: "ls" }, "Listing."), say("Done.", { input: 120, output: 7 })]);
    const first = events(await (await post("/v1/messages?beta=true", { model: "m", messages: [{ role: "user", content: `go ${s.tag}` }] })).text());
    expect(first.map((e) => e.type)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const text = first.filter((e) => (e.delta as { type?: string })?.type === "text_delta").map((e) => (e.delta as { text: string }).text);
    expect(text.join("")).toBe("Listing.");
    const json = first
      .filter((e) => (e.delta as { type?: string })?.type === "input_json_delta")
      .map((e) => (e.delta as { partial_json: string }).partial_json);
    expect(JSON.parse(json.join(""))).toEqual({ command: "ls" });
    const toolBlock = first[6].content_block as { type: string; id: string; name: string };
    expect(toolBlock).toMatchObject({ type: "tool_use", name: "Bash" });
    expect(first[11]).toMatchObject({ delta: { stop_reason: "tool_use" } });

    const second = await post("/v1/messages", {
      model: "m",
      messages: [
        { role: "user", content: `go ${s.tag}` },
        { role: "assistant", content: [{ type: "tool_use", id: toolBlock.id, name: "Bash", input: { command: "ls" } }] },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: toolBlock.id, content: [{ type: "text", text: "README.md" }], is_error: false }],
        },
      ],
    });
    const ev = events(await second.text());
    expect(ev.at(-2)).toMatchObject({ delta: { stop_reason: "end_turn" }, usage: { output_tokens: 7 } });
    expect(ev[0]).toMatchObject({ message: { usage: { input_tokens: 120 } } });
    expect(s.resultOf(0)).toEqual({ toolId: toolBlock.id, output: "README.md", isError: false });
    expect(s.remaining).toBe(0);
    expect(s.requests).toHaveLength(2);
  });

  it("streams OpenAI responses: a function call, a freeform (apply_patch) call, and a message with usage", async () => {
    const s = server.script([call("exec_command", { cmd: "ls" }), call("apply_patch", "*** Begin Patch\n*** End Patch\n"), say("All done here.")]);
    const input = [{ type: "message", role: "user", content: [{ type: "input_text", text: `go ${s.tag}` }] }];
    const first = events(await (await post("/v1/responses", { model: "gpt", input })).text());
    expect(first.map((e) => e.type)).toEqual([
      "response.created",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.output_item.done",
      "response.completed",
    ]);
    const fn = first[3].item as { type: string; call_id: string; arguments: string };
    expect(fn.type).toBe("function_call");
    expect(JSON.parse(fn.arguments)).toEqual({ cmd: "ls" });
    const second = events(
      await (
        await post("/v1/responses", {
          model: "gpt",
          input: [...input, fn, { type: "function_call_output", call_id: fn.call_id, output: "README.md" }],
        })
      ).text(),
    );
    expect(second[2].item).toMatchObject({ type: "custom_tool_call", name: "apply_patch", input: "*** Begin Patch\n*** End Patch\n" });
    expect(s.resultOf(0)).toMatchObject({ toolId: fn.call_id, output: "README.md" });
    const third = events(await (await post("/v1/responses", { model: "gpt", input })).text());
    expect(third.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta)).toEqual(["All d", "one h", "ere."]);
    expect(third.at(-1)).toMatchObject({ type: "response.completed", response: { usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } } });
  });

  it("plays errors: HTTP status with retry-after and each API's error body, and an error event mid-stream", async () => {
    const s = server.script([
      fail(429, "rate_limit_error", "slow down", 2),
      failMidStream("overloaded_error", "Overloaded"),
      fail(500, "server_error", "boom"),
    ]);
    const limited = await post("/v1/messages", { messages: [{ role: "user", content: s.tag }] });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(await limited.json()).toEqual({ type: "error", error: { type: "rate_limit_error", message: "slow down" } });
    const midStream = events(await (await post("/v1/messages", { messages: [{ role: "user", content: s.tag }] })).text());
    expect(midStream.at(-1)).toEqual({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    const openai = await post("/v1/responses", { input: [{ type: "message", role: "user", content: s.tag }] });
    expect(openai.status).toBe(500);
    expect(await openai.json()).toMatchObject({ error: { code: "server_error", message: "boom" } });
  });

  it("cuts a stream in the middle, and holds one open until the client leaves", async () => {
    const s = server.script([cut(), hang()]);
    const cutBody = post("/v1/messages", { messages: [{ role: "user", content: s.tag }] }).then((r) => r.text());
    await expect(cutBody).rejects.toThrow();
    const ctl = new AbortController();
    const held = await fetch(`${server.url}/v1/responses`, {
      method: "POST",
      body: JSON.stringify({ input: [{ type: "message", role: "user", content: s.tag }] }),
      signal: ctl.signal,
    });
    const reader = held.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("response.created");
    ctl.abort();
  });

  it("answers requests no script claims, records them, and refuses proxying to anywhere else", async () => {
    const before = server.unmatched.length;
    const ev = events(await (await post("/v1/messages", { messages: [{ role: "user", content: "no tag here" }] })).text());
    expect(ev.some((e) => (e.delta as { text?: string })?.text !== undefined)).toBe(true);
    expect((await fetch(`${server.url}/v1/unknown`)).status).toBe(404);
    expect(server.unmatched.length).toBe(before + 2);
    expect(await (await post("/v1/messages/count_tokens", { messages: [] })).json()).toHaveProperty("input_tokens");

    // Through the proxy: a CONNECT (HTTPS) and an absolute-URL request (HTTP) are refused and recorded.
    const { port } = new URL(server.url);
    const connectStatus = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, method: "CONNECT", path: "example.com:443" });
      req.on("connect", (res, socket) => {
        socket.destroy();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.end();
    });
    expect(connectStatus).toBe(403);
    const plain = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, path: "http://example.org/x" }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.end();
    });
    expect(plain).toBe(403);
    expect(server.outside).toEqual(["example.com:443", "http://example.org/x"]);
  });
});
