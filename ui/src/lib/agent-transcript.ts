import type { Usage } from "../gen/flightcontrol/v1/run_pb";
import type { AgentEventEntry } from "./run-output";

export type TranscriptItem =
  | { type: "message"; key: string; text: string; timeMs?: number }
  | {
      type: "tool";
      key: string;
      callId: string;
      name: string;
      argumentsJson: string;
      result?: { output: string; isError: boolean };
      timeMs?: number;
    }
  | { type: "notification"; key: string; source: string; message: string; timeMs?: number }
  | { type: "usage"; key: string; usage: Usage; timeMs?: number }
  | { type: "error"; key: string; message: string; timeMs?: number };

/**
 * Folds the event stream into what a reader wants: consecutive chunks of one assistant message
 * joined, and each tool result attached to the call it answers.
 */
export function buildTranscript(events: readonly AgentEventEntry[]): TranscriptItem[] {
  const items: TranscriptItem[] = [];
  const calls = new Map<string, Extract<TranscriptItem, { type: "tool" }>>();
  let lastMessageId = "";
  for (const { seq, timeMs, event } of events) {
    const key = String(seq);
    const k = event.kind;
    if (k.case !== "assistantMessage") lastMessageId = "";
    switch (k.case) {
      case "assistantMessage": {
        const prev = items.at(-1);
        if (k.value.messageId && k.value.messageId === lastMessageId && prev?.type === "message") {
          prev.text += k.value.text;
        } else {
          items.push({ type: "message", key, text: k.value.text, timeMs });
        }
        lastMessageId = k.value.messageId;
        break;
      }
      case "toolCall": {
        const item = {
          type: "tool" as const,
          key,
          callId: k.value.callId,
          name: k.value.name,
          argumentsJson: k.value.argumentsJson,
          timeMs,
        };
        items.push(item);
        if (k.value.callId) calls.set(k.value.callId, item);
        break;
      }
      case "toolResult": {
        const call = calls.get(k.value.callId);
        const result = { output: k.value.output, isError: k.value.isError };
        if (call && !call.result) call.result = result;
        else items.push({ type: "tool", key, callId: k.value.callId, name: "tool result", argumentsJson: "", result, timeMs });
        break;
      }
      case "notification":
        items.push({ type: "notification", key, source: k.value.source, message: k.value.message, timeMs });
        break;
      case "usage":
        items.push({ type: "usage", key, usage: k.value, timeMs });
        break;
      case "error":
        items.push({ type: "error", key, message: k.value.message, timeMs });
        break;
    }
  }
  return items;
}

export function prettyJson(text: string): string {
  if (!text.trim()) return "";
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** The run's final usage if the server recorded one, else the last usage event seen. */
export function effectiveUsage(runUsage: Usage | undefined, items: readonly TranscriptItem[]): Usage | undefined {
  if (runUsage && (runUsage.totalTokens > 0n || runUsage.inputTokens > 0n || runUsage.costUsd > 0)) return runUsage;
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i]!;
    if (it.type === "usage") return it.usage;
  }
  return undefined;
}
