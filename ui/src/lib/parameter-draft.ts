import type { MessageInitShape } from "@bufbuild/protobuf";
import { ParameterType, type Parameter, type ParameterSchema } from "../gen/flightcontrol/v1/spec_pb";

// The job form edits parameters as strings (choices one per line); these translate to and from
// the Parameter message.

export interface ParameterDraft {
  name: string;
  type: ParameterType;
  description: string;
  defaultValue: string;
  required: boolean;
  /** ENUM only: one choice per line. */
  choices: string;
}

export const PARAMETER_TYPES: readonly [ParameterType, string][] = [
  [ParameterType.STRING, "text"],
  [ParameterType.NUMBER, "number"],
  [ParameterType.BOOLEAN, "boolean"],
  [ParameterType.ENUM, "choice"],
];

export function typeLabel(t: ParameterType): string {
  return PARAMETER_TYPES.find(([v]) => v === t)?.[1] ?? "unknown";
}

export function emptyParameter(): ParameterDraft {
  return { name: "", type: ParameterType.STRING, description: "", defaultValue: "", required: false, choices: "" };
}

/** Choices as the server gets them: trimmed, non-blank lines. */
export function choiceList(text: string): string[] {
  return text
    .split("\n")
    .map((c) => c.trim())
    .filter(Boolean);
}

export function parameterToDraft(p: Parameter): ParameterDraft {
  return {
    name: p.name,
    type: p.type || ParameterType.STRING,
    description: p.description,
    defaultValue: p.defaultValue,
    required: p.required,
    choices: p.choices.join("\n"),
  };
}

export function draftToParameter(d: ParameterDraft): MessageInitShape<typeof ParameterSchema> {
  return {
    name: d.name.trim(),
    type: d.type,
    description: d.description.trim(),
    // A required parameter has no default; the field is hidden then, so a stale value is dropped.
    defaultValue: d.required ? "" : d.defaultValue,
    required: d.required,
    choices: d.type === ParameterType.ENUM ? choiceList(d.choices) : [],
  };
}
