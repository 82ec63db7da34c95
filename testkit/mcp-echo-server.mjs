#!/usr/bin/env node
// A minimal MCP server over stdio (newline-delimited JSON-RPC 2.0) for the real-CLI tests: one tool,
// `echo`, that answers "echo: <text>" followed by the value of $MCP_ECHO_SUFFIX, so a test sees
// that the agent started this server with the job's env and called its tool. Plain Node, no SDK.
import { createInterface } from "node:readline";

const reply = (id, result) => process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id, result })}\n`);
const failure = (id, code, message) => process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } })}\n`);

const TOOL = {
  name: "echo",
  description: "Echoes its text back.",
  inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
};

createInterface({ input: process.stdin }).on("line", (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return;
  }
  // Notifications (no id) need no answer.
  if (msg.id === undefined) return;
  switch (msg.method) {
    case "initialize":
      return reply(msg.id, {
        protocolVersion: msg.params?.protocolVersion ?? "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name: "echo", version: "1.0.0" },
      });
    case "ping":
      return reply(msg.id, {});
    case "tools/list":
      return reply(msg.id, { tools: [TOOL] });
    case "tools/call":
      return reply(msg.id, { content: [{ type: "text", text: `echo: ${msg.params?.arguments?.text ?? ""}${process.env.MCP_ECHO_SUFFIX ?? ""}` }] });
    default:
      return failure(msg.id, -32601, `method not found: ${msg.method}`);
  }
});
