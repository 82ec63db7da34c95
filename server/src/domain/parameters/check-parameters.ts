import { ParameterType, type JobSpec, type Parameter } from "../../gen/flightcontrol/v1/spec_pb";
import { invalidArgument } from "../errors";
import { placeholderNames, templatedFields } from "./placeholders";

export const typeName = (t: ParameterType): string => ParameterType[t]?.toLowerCase() ?? "unknown";

/** Why `value` is not a valid value of `p`, or undefined when it is. */
export function valueProblem(p: Parameter, value: string): string | undefined {
  switch (p.type) {
    case ParameterType.STRING:
      return undefined;
    case ParameterType.NUMBER:
      // Decimal notation only: no hex, no "Infinity", no spaces, which a prompt would show oddly.
      return /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value) && Number.isFinite(Number(value))
        ? undefined
        : `${JSON.stringify(value)} is not a number (write it like 3, -2.5 or 1e3)`;
    case ParameterType.BOOLEAN:
      return /^(true|false)$/i.test(value) ? undefined : `${JSON.stringify(value)} is not a boolean (write true or false)`;
    case ParameterType.ENUM:
      return p.choices.includes(value)
        ? undefined
        : `${JSON.stringify(value)} is not one of its choices (${p.choices.map((c) => JSON.stringify(c)).join(", ")})`;
    default:
      return "has no type";
  }
}

/**
 * When a job is saved: its parameters are well defined, and every `{{name}}` in the fields that
 * take placeholders names one of them. InvalidArgument names the parameter or the placeholder and
 * the field it is in.
 */
export function assertParameters(spec: JobSpec): void {
  const seen = new Set<string>();
  for (const p of spec.parameters) {
    const at = `spec.parameters: parameter "${p.name}"`;
    if (seen.has(p.name)) throw invalidArgument(`${at} is defined twice; give each parameter its own name`);
    seen.add(p.name);
    if (p.type === ParameterType.ENUM && !p.choices.length) throw invalidArgument(`${at} is an enum without choices; list its choices`);
    if (p.type !== ParameterType.ENUM && p.choices.length) {
      throw invalidArgument(`${at} has choices but is of type ${typeName(p.type)}; make it an enum or remove the choices`);
    }
    if (p.required && p.defaultValue !== "") {
      throw invalidArgument(`${at} is required and has a default; a required parameter is always given, so remove the default or make it optional`);
    }
    if (!p.required && p.defaultValue === "" && (p.type === ParameterType.NUMBER || p.type === ParameterType.ENUM)) {
      throw invalidArgument(`${at} is optional and of type ${typeName(p.type)} but has no default; give it a default or make it required`);
    }
    if (p.defaultValue !== "") {
      const problem = valueProblem(p, p.defaultValue);
      if (problem) throw invalidArgument(`${at}: its default ${problem}`);
    }
  }
  for (const { field, text } of templatedFields(spec)) {
    const unknown = placeholderNames(text).find((name) => !seen.has(name));
    if (unknown !== undefined) {
      throw invalidArgument(`spec.${field}: placeholder {{${unknown}}} names no parameter; add a parameter "${unknown}" or remove the placeholder`);
    }
  }
}
