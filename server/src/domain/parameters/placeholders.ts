import { clone } from "@bufbuild/protobuf";
import { JobSpecSchema, type JobSpec } from "../../gen/flightcontrol/v1/spec_pb";

/**
 * `{{name}}` or `{{ name }}`, name as parameter names are written. The spacing is Goose's recipe
 * form ({{ name }}), so imported recipes keep their text. Anything else between braces (e.g.
 * `{{ a.b }}`) is not a placeholder and stays as written.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g;

/** A spec field parameters are filled into, named as the contract names it (for error messages). */
export interface TemplatedField {
  field: string;
  text: string;
}

/** The spec's fields that take placeholders: prompt, system instructions, setup script, env values, branch. */
export function templatedFields(spec: JobSpec): TemplatedField[] {
  const fields: TemplatedField[] = [
    { field: "prompt", text: spec.prompt },
    { field: "system_instructions", text: spec.systemInstructions },
    { field: "setup_script", text: spec.setupScript },
    ...Object.entries(spec.env).map(([name, text]) => ({ field: `env.${name}`, text })),
  ];
  if (spec.repository) fields.push({ field: "repository.branch", text: spec.repository.branch });
  return fields;
}

/** The parameter names `text` refers to, in order of first use. */
export function placeholderNames(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/**
 * The spec with every placeholder replaced by its value, in one pass: a value that itself contains
 * "{{x}}" is inserted as written, never expanded again. Names without a value stay as written.
 */
export function fillPlaceholders(spec: JobSpec, values: Record<string, string>): JobSpec {
  const fill = (text: string) => text.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(values, name) ? values[name] : whole));
  const out = clone(JobSpecSchema, spec);
  out.prompt = fill(out.prompt);
  out.systemInstructions = fill(out.systemInstructions);
  out.setupScript = fill(out.setupScript);
  out.env = Object.fromEntries(Object.entries(out.env).map(([k, v]) => [k, fill(v)]));
  if (out.repository) out.repository.branch = fill(out.repository.branch);
  return out;
}
