import { ParameterType, type JobSpec } from "../../gen/flightcontrol/v1/spec_pb";
import { invalidArgument } from "../errors";
import { valueProblem } from "./check-parameters";
import { fillPlaceholders } from "./placeholders";

/** What a run is created from: the spec with its values filled in, and the values it was given. */
export interface AppliedParameters {
  spec: JobSpec;
  /** Every parameter's value, defaults included (Run.parameters). */
  values: Record<string, string>;
}

/** The same rule as Repository.branch in spec.proto, checked again once the values are in. */
const BRANCH = /^([A-Za-z0-9._][A-Za-z0-9._/-]*)?$/;

/**
 * Fills a job's parameters into its spec at trigger time (TriggerJob, a schedule firing, CreateRun).
 * Each supplied value is checked against its parameter's type; a value for no parameter, a missing
 * required value, or a result the spec's own rules refuse (an empty prompt, a bad branch name) is
 * InvalidArgument naming the parameter. `field` names where the values came from.
 */
export function applyParameters(spec: JobSpec, supplied: Record<string, string>, field = "parameters"): AppliedParameters {
  const byName = new Map(spec.parameters.map((p) => [p.name, p]));
  for (const name of Object.keys(supplied)) {
    if (!byName.has(name)) {
      const known = spec.parameters.length ? `its parameters are ${spec.parameters.map((p) => p.name).join(", ")}` : "it has no parameters";
      throw invalidArgument(`${field}: the job has no parameter "${name}" (${known}); remove it`);
    }
  }
  const values: Record<string, string> = {};
  for (const p of spec.parameters) {
    let value = Object.hasOwn(supplied, p.name) ? supplied[p.name] : undefined;
    if (value === undefined) {
      if (p.required) throw invalidArgument(`${field}: parameter "${p.name}" is required; give it a value`);
      value = p.defaultValue || (p.type === ParameterType.BOOLEAN ? "false" : "");
    }
    const problem = valueProblem(p, value);
    if (problem) throw invalidArgument(`${field}: parameter "${p.name}": ${problem}`);
    values[p.name] = p.type === ParameterType.BOOLEAN ? value.toLowerCase() : value;
  }
  const filled = fillPlaceholders(spec, values);
  if (filled.prompt === "") throw invalidArgument(`${field}: with these values the prompt is empty; give the parameters it uses a value`);
  if (filled.repository && !BRANCH.test(filled.repository.branch)) {
    throw invalidArgument(
      `${field}: with these values repository.branch is ${JSON.stringify(filled.repository.branch)}, not a valid branch name; use letters, digits, ".", "_", "-" and "/"`,
    );
  }
  return { spec: filled, values };
}
