import { toBinary } from "@bufbuild/protobuf";
import { JobSpecSchema, McpExtensionSchema, type JobSpec } from "../../gen/flightcontrol/v1/spec_pb";
import { invalidArgument } from "../errors";

/**
 * The most a JobSpec may take in the protobuf binary encoding: 256 KiB. Each run keeps its own copy
 * of the spec, GetRun and every Assign carry it, and the worker's agent gets the prompt and system
 * instructions on a command line or in a file; 256 KiB holds a 128 KiB prompt, 64 KiB of system
 * instructions and a generous set of MCP servers, and is 32 times below the default 8 MiB message
 * limit, so no single spec (nor a few dozen of them in memory at once) can strain the server. The
 * per-field bounds in spec.proto cannot express this: sixteen extensions of thirty-two 16 KiB env
 * values each are valid field by field and total 8 MiB.
 */
export const MAX_SPEC_BYTES = 256 * 1024;

/**
 * The most a spec may take as stored, with its MCP literals sealed (Fernet tokens, base64: about
 * 4/3 of the value plus ~80 bytes each). Requests are held to MAX_SPEC_BYTES as the client sent
 * them; this backstop, applied to every spec written (runs from jobs stored before the limit
 * included), leaves room for the sealing of a spec that was within it.
 */
export const MAX_STORED_SPEC_BYTES = 384 * 1024;

const parts: Array<[field: string, size: (s: JobSpec) => number]> = [
  ["prompt", (s) => Buffer.byteLength(s.prompt)],
  ["system_instructions", (s) => Buffer.byteLength(s.systemInstructions)],
  ["extensions", (s) => s.extensions.reduce((n, e) => n + toBinary(McpExtensionSchema, e).byteLength, 0)],
];

/**
 * Throws InvalidArgument when the spec is bigger than MAX_SPEC_BYTES, naming the field (`field`,
 * e.g. "spec"), its size, the limit and the part of it that takes the most room.
 */
export function assertSpecWithinLimit(spec: JobSpec, field = "spec", limit = MAX_SPEC_BYTES): void {
  const size = toBinary(JobSpecSchema, spec).byteLength;
  if (size <= limit) return;
  const [largest, bytes] = parts.map(([name, f]) => [name, f(spec)] as const).sort((a, b) => b[1] - a[1])[0];
  throw invalidArgument(
    `${field} is ${size.toLocaleString("en")} bytes encoded, over the limit of ${limit.toLocaleString("en")} bytes (${limit / 1024} KiB); ` +
      `its largest part is ${field}.${largest} (${bytes.toLocaleString("en")} bytes): shorten it`,
  );
}
