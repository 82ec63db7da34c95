import { ParameterType, type Parameter } from "../gen/flightcontrol/v1/spec_pb";
import type { FieldViolation } from "./errors";
import { valueProblem } from "./parameter-checks";

// The values form (trigger, schedules) keeps one string per parameter, as the API takes them.

/** Each parameter's starting value: `given` (a schedule's stored values), else its default. */
export function initialValues(params: readonly Parameter[], given: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of params) {
    const value = Object.hasOwn(given, p.name) ? given[p.name] : p.defaultValue;
    out[p.name] = value || (p.type === ParameterType.BOOLEAN ? "false" : "");
  }
  return out;
}

/** What to send: the values filled in; an empty optional one is left out so it takes its default. */
export function valuesToSend(params: readonly Parameter[], values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of params) {
    const v = values[p.name] ?? "";
    if (v !== "" || p.required) out[p.name] = v;
  }
  return out;
}

/** The server's trigger-time rules; violations on `<field>["name"]`, as the API names map entries. */
export function checkValues(params: readonly Parameter[], values: Record<string, string>, field = "parameters"): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const p of params) {
    const v = values[p.name] ?? "";
    const path = `${field}[${JSON.stringify(p.name)}]`;
    if (v === "") {
      if (p.required) out.push({ path, message: `${p.name} is required; give it a value.` });
      continue;
    }
    const problem = valueProblem(p.type, p.choices, v);
    if (problem) out.push({ path, message: problem });
    else if (new TextEncoder().encode(v).length > 16384) out.push({ path, message: "Shorten the value to 16 KiB." });
  }
  return out;
}

/** `name=value, …` for a runs list cell; long values are cut. */
export function compactValues(values: Record<string, string>, max = 24): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v.length > max ? `${v.slice(0, max - 1)}…` : v}`)
    .join(", ");
}
