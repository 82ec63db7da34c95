import type { JobSpec } from "../../gen/flightcontrol/v1/spec_pb";
import { specSummaryToJson, specToJson } from "../../storage/codecs";
import { assertSpecWithinLimit, MAX_STORED_SPEC_BYTES } from "./size-limit";
import { summarizeSpec } from "./summary";

/** The columns a job or run stores for its spec. */
export interface StoredSpec {
  spec: string;
  specSummary: string;
}

/**
 * The one way a spec is written: refused with InvalidArgument past MAX_STORED_SPEC_BYTES (naming
 * `field`), else encoded together with the summary lists read in its place. Requests are checked
 * against MAX_SPEC_BYTES before their MCP literals are sealed (see `assertSpecWithinLimit`).
 */
export function storedSpec(spec: JobSpec, field = "spec"): StoredSpec {
  assertSpecWithinLimit(spec, field, MAX_STORED_SPEC_BYTES);
  return { spec: specToJson(spec), specSummary: specSummaryToJson(summarizeSpec(spec)) };
}
