import { create } from "@bufbuild/protobuf";
import { AgentEventSchema, LogStream, UsageSchema, type AgentEvent, type Usage } from "../gen/flightcontrol/v1/run_pb";
import type { AgentOutput } from "./types";

type EventKind = Exclude<AgentEvent["kind"], { case: undefined }>;

/** Init shapes of each event payload, so callers pass plain objects. */
type Init<C extends EventKind["case"]> = Partial<Omit<Extract<EventKind, { case: C }>["value"], "$typeName" | "$unknown">>;

export function logLine(stream: LogStream, text: string): AgentOutput {
  return { kind: "log", stream, text };
}

/** Multi-line text as one stdout log entry per line, so the plain log view reads naturally. */
export function textLogs(text: string): AgentOutput[] {
  return text.split(/\r?\n/).map((line) => logLine(LogStream.STDOUT, line));
}

function event<C extends EventKind["case"]>(kase: C, value: Init<C>): AgentOutput {
  return {
    kind: "event",
    event: create(AgentEventSchema, { kind: { case: kase, value } as never }),
  };
}

export const assistantMessage = (messageId: string, text: string) => event("assistantMessage", { messageId, text });

export const toolCall = (callId: string, name: string, argumentsJson: string) => event("toolCall", { callId, name, argumentsJson });

export const toolResult = (callId: string, output: string, isError: boolean) => event("toolResult", { callId, output, isError });

export const notification = (source: string, message: string) => event("notification", { source, message });

export const agentError = (message: string) => event("error", { message });

export function usageEvent(usage: Usage): AgentOutput {
  return { kind: "event", event: create(AgentEventSchema, { kind: { case: "usage", value: usage } }) };
}

/** Token counts from JSON: anything that is not a non-negative finite number counts as zero. */
export function tokens(value: unknown): bigint {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? BigInt(Math.trunc(value)) : 0n;
}

export function makeUsage(input: bigint, output: bigint, total?: bigint, costUsd?: number): Usage {
  return create(UsageSchema, {
    inputTokens: input,
    outputTokens: output,
    totalTokens: total ?? input + output,
    costUsd: typeof costUsd === "number" && Number.isFinite(costUsd) ? costUsd : 0,
  });
}

/** Parses a line as a JSON object, or returns undefined for anything else. */
export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** JSON text for tool arguments; an absent value becomes an empty object. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value ?? {});
}

/** Text of MCP content items; non-text items are named rather than dropped silently. */
export function contentText(content: unknown[]): string {
  const parts: string[] = [];
  for (const c of content) {
    if (!isRecord(c)) continue;
    if (c.type === "text") parts.push(str(c.text));
    else if (c.type === "resource" && isRecord(c.resource) && typeof c.resource.text === "string") {
      parts.push(c.resource.text);
    } else parts.push(`[${str(c.type) || "content"}]`);
  }
  return parts.join("\n");
}
