import { fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { RunChangesSchema, UsageSchema, type RunChanges, type Usage } from "../gen/flightcontrol/v1/run_pb";
import { JobSpecSchema, JobSpecSummarySchema, type JobSpec, type JobSpecSummary } from "../gen/flightcontrol/v1/spec_pb";

/**
 * How protobuf values are stored in text columns: as protobuf JSON, which stays readable in the
 * database and tolerates fields added to the contract later. Every layer that writes or reads such
 * a column goes through these, so the stored form has one definition.
 */
export const specToJson = (spec: JobSpec): string => toJsonString(JobSpecSchema, spec);
export const specFromJson = (json: string): JobSpec => fromJsonString(JobSpecSchema, json);
export const specSummaryToJson = (summary: JobSpecSummary): string => toJsonString(JobSpecSummarySchema, summary);
export const specSummaryFromJson = (json: string): JobSpecSummary => fromJsonString(JobSpecSummarySchema, json || "{}");
/** A run without reported usage stores "{}", which reads back as an empty Usage. */
export const usageToJson = (u: Usage | undefined): string => (u ? toJsonString(UsageSchema, u) : "{}");
export const usageFromJson = (json: string): Usage => fromJsonString(UsageSchema, json || "{}");
/** A run that reported no changes stores "", which reads back as none (Run.changes unset). */
export const changesToJson = (c: RunChanges | undefined): string => (c ? toJsonString(RunChangesSchema, c) : "");
export const changesFromJson = (json: string): RunChanges | undefined => (json ? fromJsonString(RunChangesSchema, json) : undefined);
