import { assistantMessage, textLogs } from "./events";
import type { AgentOutput } from "./types";

export interface MessageMerger {
  /** Adds streamed text of a message; returns the previous message if this one is a different one. */
  add(messageId: string | undefined, text: string): AgentOutput[];
  /** Emits the pending message, if any: call before any other event and at the end of the stream. */
  flush(): AgentOutput[];
  /** Text of the last message emitted. */
  lastText(): string | undefined;
}

/**
 * Agents stream one assistant message in several pieces that share a message id. Each message
 * becomes one AssistantMessage event (plus its text as stdout log lines) once it is complete:
 * when another message or event arrives, or the stream ends.
 */
export function createMessageMerger(): MessageMerger {
  let pending: { id: string | undefined; text: string } | undefined;
  let last: string | undefined;

  const flush = (): AgentOutput[] => {
    if (pending === undefined) return [];
    const { id, text } = pending;
    pending = undefined;
    if (text.trim() === "") return [];
    last = text;
    return [assistantMessage(id ?? "", text), ...textLogs(text)];
  };

  return {
    add(messageId, text) {
      // Pieces without an id continue the pending id-less message: Goose streams some providers'
      // replies token by token with no id (Message::assistant() in crates/goose/src/conversation/
      // message.rs has none until a provider sets one), and any other event ends the message anyway.
      const same = pending !== undefined && pending.id === messageId;
      const out = same ? [] : flush();
      if (pending === undefined) pending = { id: messageId, text };
      else pending.text += text;
      return out;
    },
    flush,
    lastText: () => last,
  };
}
