import type { JobSpec, McpExtension } from "../../gen/flightcontrol/v1/spec_pb";

/** Where one MCP value lives, for error messages: `extension github header Authorization`. */
export interface ValueSite {
  extension: string;
  kind: "env" | "header";
  key: string;
}

export const describeSite = (s: ValueSite) => `extension ${s.extension} ${s.kind} ${s.key}`;

/**
 * The MCP values that may hold secrets — stdio env values and HTTP header values — as their maps,
 * so callers can read or replace them in place. Commands, args and urls are not secret slots.
 */
export function* secretMaps(spec: JobSpec): Generator<{ ext: McpExtension; kind: ValueSite["kind"]; map: Record<string, string> }> {
  for (const ext of spec.extensions) {
    const t = ext.transport;
    if (t.case === "stdio") yield { ext, kind: "env", map: t.value.env };
    else if (t.case === "streamableHttp") yield { ext, kind: "header", map: t.value.headers };
  }
}

/** Every secret slot with its value. */
export function* secretValues(spec: JobSpec): Generator<ValueSite & { value: string; map: Record<string, string> }> {
  for (const { ext, kind, map } of secretMaps(spec)) {
    for (const [key, value] of Object.entries(map)) yield { extension: ext.name, kind, key, value, map };
  }
}
