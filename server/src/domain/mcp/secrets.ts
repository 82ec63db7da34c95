import { clone } from "@bufbuild/protobuf";
import { JobSpecSchema, type JobSpec } from "../../gen/flightcontrol/v1/spec_pb";
import { specFromJson, specToJson } from "../../storage/codecs";
import { fernetDecrypt, fernetEncrypt, fernetRotate, type FernetKeyring } from "../crypto/fernet";
import { invalidArgument } from "../errors";
import { hasMalformedReference, hasReference, substituteReferences, type CredentialReference } from "./references";
import { describeSite, secretValues, type ValueSite } from "./values";

/** How a literal value is shown: never the value itself. Sent back unchanged, it keeps the stored value. */
export const HIDDEN = "***";

/**
 * A literal as stored: a Fernet token in a wrapper no client value can be mistaken for, because
 * every value a client sends is sealed (a client's "${sealed:…}" is sealed again, and comes out of
 * the worker's Assign exactly as typed).
 */
const SEALED_PREFIX = "${sealed:";
const isSealed = (v: string) => v.startsWith(SEALED_PREFIX) && v.endsWith("}");
const siteKey = (s: ValueSite) => JSON.stringify([s.extension, s.kind, s.key]);

/**
 * MCP env and header values at rest: literals are sealed with the master key before the spec is
 * stored (jobs and run snapshots alike), shown as "***", and opened only for the worker's Assign,
 * where `${credential:NAME/VAR}` references are filled in too.
 */
export function createMcpSecrets(keyring: FernetKeyring) {
  const sealValue = (v: string) => `${SEALED_PREFIX}${fernetEncrypt(keyring, v)}}`;

  return {
    /**
     * A spec as a client sent it → as stored. `previous` is the stored spec it replaces (UpdateJob):
     * a "***" takes the stored value of the same extension, kind and key. Throws InvalidArgument for
     * a "***" with nothing to keep and for a malformed reference.
     */
    seal(spec: JobSpec, previous?: JobSpec): JobSpec {
      const out = clone(JobSpecSchema, spec);
      const stored = new Map<string, string>();
      if (previous) for (const s of secretValues(previous)) stored.set(siteKey(s), s.value);
      for (const site of secretValues(out)) {
        if (hasMalformedReference(site.value)) {
          throw invalidArgument(
            `${describeSite(site)}: a credential reference is written \${credential:NAME/VAR}, e.g. "Bearer \${credential:github/GITHUB_TOKEN}"`,
          );
        }
        if (site.value === "" || hasReference(site.value)) continue;
        if (site.value === HIDDEN) {
          const kept = stored.get(siteKey(site));
          if (kept === undefined || kept === "" || hasReference(kept)) {
            throw invalidArgument(
              `${describeSite(site)} is "${HIDDEN}" (a hidden value) but there is no stored value to keep; type the value again or write a \${credential:NAME/VAR} reference`,
            );
          }
          site.map[site.key] = isSealed(kept) ? kept : sealValue(kept);
          continue;
        }
        site.map[site.key] = sealValue(site.value);
      }
      return out;
    },

    /**
     * A stored spec → the spec a worker gets: literals opened, references replaced by `lookup`
     * (which throws for one it cannot resolve). Values written before sealing existed pass as they are.
     */
    resolve(spec: JobSpec, lookup: (ref: CredentialReference, site: ValueSite) => string): JobSpec {
      const out = clone(JobSpecSchema, spec);
      for (const site of secretValues(out)) {
        if (isSealed(site.value)) {
          site.map[site.key] = fernetDecrypt(keyring, site.value.slice(SEALED_PREFIX.length, -1)).toString("utf8");
        } else if (hasReference(site.value)) {
          site.map[site.key] = substituteReferences(site.value, (ref) => lookup(ref, site));
        }
      }
      return out;
    },

    /** A stored spec's JSON with every sealed value re-encrypted under the keyring's first key (key rotation). */
    rotateJson(specJson: string): string {
      const spec = specFromJson(specJson);
      for (const site of secretValues(spec)) {
        if (isSealed(site.value)) site.map[site.key] = `${SEALED_PREFIX}${fernetRotate(keyring, site.value.slice(SEALED_PREFIX.length, -1))}}`;
      }
      return specToJson(spec);
    },
  };
}

export type McpSecrets = ReturnType<typeof createMcpSecrets>;

/** A stored spec as every RPC shows it (changed in place): references as written, any other non-empty value "***". */
export function redactMcpSecrets(spec: JobSpec): JobSpec {
  for (const site of secretValues(spec)) {
    if (site.value !== "" && !hasReference(site.value)) site.map[site.key] = HIDDEN;
  }
  return spec;
}
