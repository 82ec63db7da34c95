import type { AgentEvent } from "./gen/flightcontrol/v1/run_pb";

/** Values shorter than this are not masked: a 1–2 character "secret" would shred every line. */
const MIN_SECRET_LENGTH = 3;

export type Masker = (text: string) => string;

/** Replaces every credential value with *** (longest first, so a value containing another is masked whole). */
export function createMasker(secrets: string[]): Masker {
  const values = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  if (!values.length) return (t) => t;
  return (text) => {
    let out = text;
    for (const v of values) if (out.includes(v)) out = out.split(v).join("***");
    return out;
  };
}

/** Masks every free-text field of an agent event in place. */
export function maskEvent(event: AgentEvent, mask: Masker): AgentEvent {
  const k = event.kind;
  switch (k.case) {
    case "assistantMessage":
      k.value.text = mask(k.value.text);
      break;
    case "toolCall":
      k.value.name = mask(k.value.name);
      k.value.argumentsJson = mask(k.value.argumentsJson);
      break;
    case "toolResult":
      k.value.output = mask(k.value.output);
      break;
    case "notification":
      k.value.message = mask(k.value.message);
      k.value.source = mask(k.value.source);
      break;
    case "error":
      k.value.message = mask(k.value.message);
      break;
  }
  return event;
}
