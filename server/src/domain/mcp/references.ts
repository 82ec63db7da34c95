/**
 * `${credential:NAME/VAR}` inside an MCP env or header value: variable VAR of the credential named
 * NAME, put in by the server when the run is handed to a worker. Credential names cannot hold "/"
 * or "}" (credential.proto), variable names are environment variable names.
 */
const REFERENCE = /\$\{credential:([^/}]+)\/([A-Za-z_][A-Za-z0-9_]*)\}/g;
const LOOKS_LIKE_REFERENCE = "${credential:";

export interface CredentialReference {
  credential: string;
  variable: string;
}

/** The references in a value, in order. */
export function referencesIn(value: string): CredentialReference[] {
  return [...value.matchAll(REFERENCE)].map((m) => ({ credential: m[1], variable: m[2] }));
}

/** True when the value holds a reference: it is then stored and shown as written. */
export const hasReference = (value: string): boolean => referencesIn(value).length > 0;

/** A "${credential:" that is not part of a well-formed reference (a typo the user should hear about). */
export const hasMalformedReference = (value: string): boolean => value.replace(REFERENCE, "").includes(LOOKS_LIKE_REFERENCE);

/** The value with every reference replaced; `lookup` throws for one it cannot resolve. */
export function substituteReferences(value: string, lookup: (ref: CredentialReference) => string): string {
  return value.replace(REFERENCE, (_m, credential: string, variable: string) => lookup({ credential, variable }));
}
