import { create } from "@bufbuild/protobuf";
import { JobSpecSummarySchema, type JobSpec, type JobSpecSummary } from "../../gen/flightcontrol/v1/spec_pb";

/** How much of the prompt a summary keeps: enough for a list row's title, in code points. */
export const SUMMARY_PROMPT_CHARS = 200;

/**
 * What lists show of a spec. Stored beside the spec when a job or run is written, so listing never
 * reads or parses the spec itself.
 */
export function summarizeSpec(spec: JobSpec): JobSpecSummary {
  // Cut on code points, not UTF-16 units, so a summary never ends in half a surrogate pair; at most
  // two units per code point, so slicing first keeps this cheap for a long prompt.
  const points = Array.from(spec.prompt.slice(0, 2 * SUMMARY_PROMPT_CHARS + 1));
  const truncated = points.length > SUMMARY_PROMPT_CHARS;
  return create(JobSpecSummarySchema, {
    agent: spec.agent,
    provider: spec.provider,
    model: spec.model,
    prompt: truncated ? points.slice(0, SUMMARY_PROMPT_CHARS).join("") : spec.prompt,
    promptTruncated: truncated,
  });
}
