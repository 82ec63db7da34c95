import { LogStream } from "../gen/flightcontrol/v1/run_pb";
import { logLine, parseJsonObject } from "./events";
import { createMessageMerger } from "./message-merger";
import type { StreamParser, StreamVerdict } from "./stream-parser";
import type { AgentOutput } from "./types";

/** A CLI's outputs for one JSON event line; undefined for an event it does not know. */
export type EventHandler = (event: Record<string, unknown>) => AgentOutput[] | undefined;

/**
 * The frame of every agent CLI's event parser (`stream-json`, `--json`): each stdout line is one
 * JSON object for `onEvent`. A line that is not one, or an event `onEvent` does not know, is a raw
 * line the process printed: it goes to the run log as stdout, as printed.
 */
export function createJsonLinesParser(onEvent: EventHandler, rest: Pick<StreamParser, "end" | "verdict">): StreamParser {
  return {
    line(text) {
      const event = parseJsonObject(text);
      return (event === undefined ? undefined : onEvent(event)) ?? [logLine(LogStream.STDOUT, text)];
    },
    ...rest,
  };
}

/** What a CLI that streams each assistant message in pieces (Claude Code, Goose) parses its events with. */
export interface MessageStream {
  /** How the run ended, as the CLI's events say: its handler sets it; read once stdout has closed. */
  verdict: StreamVerdict;
  /** A piece of an assistant message; returns the previous message once this one is a different one. */
  add(messageId: string | undefined, text: string): AgentOutput[];
  /** Any other event's outputs, after the message still pending: the log keeps the order they happened in. */
  other(outputs: AgentOutput[]): AgentOutput[];
  /** The run's parser, with the CLI's handler for its events. */
  parser(onEvent: EventHandler): StreamParser;
}

/**
 * State for one run of a CLI that streams its messages in pieces. The message still pending is
 * emitted at the end of stdout too, and the run's result is the last message unless the CLI's
 * handler sets `verdict.result`.
 */
export function createMessageStream(): MessageStream {
  const merger = createMessageMerger();
  const verdict: StreamVerdict = { finished: false };
  return {
    verdict,
    add: merger.add,
    other: (outputs) => [...merger.flush(), ...outputs],
    parser: (onEvent) =>
      createJsonLinesParser(onEvent, {
        end: () => merger.flush(),
        verdict: () => {
          const { finished, error, result, usage } = verdict;
          return { finished, error, result: result ?? merger.lastText(), usage };
        },
      }),
  };
}
