import type { AgentEvent, LogStream } from "./gen/flightcontrol/v1/run_pb";
import { createLiteralScanner } from "./literal-scanner";
import { secretForms } from "./secret-forms";

export type Masker = (text: string) => string;

const MASK = "***";

/**
 * Replaces every form of every credential value (secret-forms.ts: the value, each line of it, its
 * JSON-escaped, URL-encoded and base64 forms) with ***. Overlapping occurrences are masked as one.
 * Built once per run: the scan is on the hot log path (literal-scanner.ts).
 */
export function createMasker(secrets: string[]): Masker {
  const forms = new Set(secrets.flatMap(secretForms));
  if (!forms.size) return (t) => t;
  const scan = createLiteralScanner([...forms]);
  return (text) => {
    const spans = scan(text);
    if (!spans) return text;
    let out = "";
    let from = 0;
    for (let i = 0; i < spans.length; i += 2) {
      out += text.slice(from, spans[i]) + MASK;
      from = spans[i + 1];
    }
    return out + text.slice(from);
  };
}

/**
 * Masks every string field of an agent event in place — free text, tool arguments as JSON, ids —
 * so a field added to the contract later is masked without anyone remembering to.
 */
export function maskEvent(event: AgentEvent, mask: Masker): AgentEvent {
  const value = event.kind.value as Record<string, unknown> | undefined;
  if (!value) return event;
  for (const key of Object.keys(value)) {
    if (key !== "$typeName" && typeof value[key] === "string") value[key] = mask(value[key]);
  }
  return event;
}

/** Where a run's output goes (the run's log streamer). */
export interface RunOutputSink {
  log(stream: LogStream, text: string): void;
  event(event: AgentEvent): void;
}

/**
 * The run's output as the runner sees it: every log line and event is masked on its way to the
 * sink, then lines are cut at maxLineChars — cut after masking, so a cut never leaves the start of
 * a secret that no longer matches.
 */
export function maskedOutput(sink: RunOutputSink, mask: Masker, maxLineChars: number): RunOutputSink {
  return {
    log: (stream, text) => sink.log(stream, clip(mask(text), maxLineChars, "line")),
    event: (event) => sink.event(maskEvent(event, mask)),
  };
}

/** Cuts a text to max characters with a note saying so. Cut masked text only (see maskedOutput). */
export function clip(text: string, max: number, what: string): string {
  return text.length > max ? `${text.slice(0, max)} … [${what} cut at ${max} characters]` : text;
}
