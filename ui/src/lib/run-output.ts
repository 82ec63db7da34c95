import { LogStream, type AgentEvent, type RunOutput } from "../gen/flightcontrol/v1/run_pb";
import { tsToMs } from "./format";
import { usageCells } from "./usage";

export type LineKind = "stdout" | "stderr" | "system" | "agent";

/** One rendered row of the log viewer. */
export interface LogEntry {
  seq: number;
  timeMs: number | undefined;
  kind: LineKind;
  text: string;
}

export interface AgentEventEntry {
  seq: number;
  timeMs: number | undefined;
  event: AgentEvent;
}

const STREAM_KIND: Record<LogStream, LineKind> = {
  [LogStream.UNSPECIFIED]: "stdout",
  [LogStream.STDOUT]: "stdout",
  [LogStream.STDERR]: "stderr",
  [LogStream.SYSTEM]: "system",
};

function clip(s: string, max = 240): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

// A terminal redraws a line on "\r" (progress bars); keep only what would stay visible.
function terminalLines(text: string): string[] {
  const parts = text.split("\n");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  return parts.map((p) => {
    const i = p.lastIndexOf("\r", p.length - 2);
    return (i >= 0 ? p.slice(i + 1) : p).replace(/\r$/, "");
  });
}

/**
 * One-line summaries of agent events, so the log tab reads as a complete transcript. The
 * worker already writes assistant text to stdout as plain lines, so those are not repeated.
 */
export function eventSummary(event: AgentEvent): { kind: LineKind; text: string } | undefined {
  const k = event.kind;
  switch (k.case) {
    case "assistantMessage":
      return undefined;
    case "toolCall":
      return { kind: "agent", text: `→ ${k.value.name}(${clip(k.value.argumentsJson)})` };
    case "toolResult":
      return { kind: k.value.isError ? "stderr" : "agent", text: `← ${k.value.isError ? "error" : "result"}: ${clip(k.value.output)}` };
    case "notification":
      return { kind: "system", text: `${k.value.source ? `[${k.value.source}] ` : ""}${k.value.message}` };
    case "usage":
      return {
        kind: "system",
        text: `usage: ${usageCells(k.value)
          .map((c) => `${c.label.toLowerCase()} ${c.value}`)
          .join(", ")}`,
      };
    case "error":
      return { kind: "stderr", text: `agent error: ${k.value.message}` };
    default:
      return undefined;
  }
}

export function outputToEntries(item: RunOutput): LogEntry[] {
  const seq = Number(item.seq);
  const timeMs = tsToMs(item.time);
  let kind: LineKind;
  let text: string;
  if (item.payload.case === "log") {
    kind = STREAM_KIND[item.payload.value.stream] ?? "stdout";
    text = item.payload.value.text;
  } else if (item.payload.case === "event") {
    const s = eventSummary(item.payload.value);
    if (!s) return [];
    ({ kind, text } = s);
  } else {
    return [];
  }
  return terminalLines(text).map((line) => ({ seq, timeMs, kind, text: line }));
}

// Colour and cursor escape sequences: CSI (ESC [ … final byte) and OSC (ESC ] … BEL/ST).
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, "");
}

export function entryToText(e: LogEntry): string {
  const time = e.timeMs !== undefined ? new Date(e.timeMs).toISOString() : "";
  const tag = e.kind === "stdout" ? "" : ` [${e.kind}]`;
  return `${time}${tag} ${stripAnsi(e.text)}`;
}
