import type { JobSpec } from "../../gen/flightcontrol/v1/spec_pb";
import { assertParameters } from "../parameters/check-parameters";
import { assertEnvNames } from "./env-names";

/**
 * What a spec must satisfy to be saved as a job or started as an ad-hoc run, besides its
 * protovalidate rules: env names the worker lets it set, well-defined parameters, and no
 * placeholder that names no parameter. InvalidArgument names the field.
 */
export function assertSpecTemplate(spec: JobSpec): void {
  assertEnvNames(spec.env);
  assertParameters(spec);
}
