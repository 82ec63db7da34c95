import type { JobSpec } from "../../gen/flightcontrol/v1/spec_pb";
import { specSummaryToJson, specToJson } from "../../storage/codecs";
import { assertSpecWithinLimit } from "./size-limit";
import { summarizeSpec } from "./summary";

/** The columns a job or run stores for its spec. */
export interface StoredSpec {
  spec: string;
  specSummary: string;
}

/**
 * The one way a spec is written: refused with InvalidArgument past MAX_SPEC_BYTES (naming `field`),
 * else encoded together with the summary lists read in its place.
 */
export function storedSpec(spec: JobSpec, field = "spec"): StoredSpec {
  assertSpecWithinLimit(spec, field);
  return { spec: specToJson(spec), specSummary: specSummaryToJson(summarizeSpec(spec)) };
}
