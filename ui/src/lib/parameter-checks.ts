import { ParameterType } from "../gen/flightcontrol/v1/spec_pb";
import type { FieldViolation } from "./errors";
import { choiceList, typeLabel, type ParameterDraft } from "./parameter-draft";
import { placeholderNames } from "./placeholders";

// The server's rules (server/src/domain/parameters/check-parameters.ts and Parameter in
// spec.proto), checked in the form so each problem appears under the field to change.

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Why `value` is not a valid value for a parameter of this type and these choices, or undefined. */
export function valueProblem(type: ParameterType, choices: readonly string[], value: string): string | undefined {
  switch (type) {
    case ParameterType.NUMBER:
      return NUMBER.test(value) && Number.isFinite(Number(value)) ? undefined : `"${value}" is not a number; write it like 3, -2.5 or 1e3.`;
    case ParameterType.BOOLEAN:
      return /^(true|false)$/i.test(value) ? undefined : `"${value}" is not a boolean; write true or false.`;
    case ParameterType.ENUM:
      return choices.includes(value) ? undefined : `"${value}" is not one of the choices (${choices.join(", ")}).`;
    default:
      return undefined;
  }
}

/** A spec field that takes placeholders, with its proto path relative to the JobSpec. */
export interface TemplatedText {
  field: string;
  text: string;
}

/**
 * Problems with the parameter definitions and with placeholders that name no parameter.
 * Violations sit on `<prefix>.parameters[i].<field>` (or on the templated field), so the editor
 * shows them beside the input to change.
 */
export function checkParameters(params: readonly ParameterDraft[], templated: readonly TemplatedText[], prefix: string): FieldViolation[] {
  const out: FieldViolation[] = [];
  const seen = new Set<string>();
  params.forEach((p, i) => {
    const at = (f: string) => `${prefix}.parameters[${i}].${f}`;
    const name = p.name.trim();
    if (!name) out.push({ path: at("name"), message: "Give the parameter a name; prompts refer to it as {{name}}." });
    else if (!NAME.test(name)) {
      out.push({ path: at("name"), message: "Use letters, digits and _ only, not starting with a digit (at most 64), e.g. target_branch." });
    } else if (seen.has(name)) out.push({ path: at("name"), message: `"${name}" is defined twice; give each parameter its own name.` });
    seen.add(name);
    const choices = choiceList(p.choices);
    if (p.type === ParameterType.ENUM) {
      if (!choices.length) out.push({ path: at("choices"), message: "List the choices, one per line." });
      else if (new Set(choices).size !== choices.length) out.push({ path: at("choices"), message: "Remove the repeated choice." });
      else if (choices.some((c) => c.length > 256)) out.push({ path: at("choices"), message: "Shorten each choice to 256 characters." });
    }
    if (p.description.length > 1000) out.push({ path: at("description"), message: "Shorten the description to 1,000 characters." });
    if (p.required) return;
    if (p.defaultValue === "") {
      if (p.type === ParameterType.NUMBER || p.type === ParameterType.ENUM) {
        out.push({ path: at("default_value"), message: `An optional ${typeLabel(p.type)} parameter needs a default; give one or make it required.` });
      }
      return;
    }
    const problem = valueProblem(p.type, choices, p.defaultValue);
    if (problem) out.push({ path: at("default_value"), message: `The default ${problem}` });
  });
  for (const { field, text } of templated) {
    const unknown = placeholderNames(text).find((n) => !seen.has(n));
    if (unknown !== undefined) {
      out.push({
        path: `${prefix}.${field}`,
        message: `{{${unknown}}} names no parameter: add a parameter "${unknown}" or remove the placeholder.`,
      });
    }
  }
  return out;
}
