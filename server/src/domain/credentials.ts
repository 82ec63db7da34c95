import type { JobSpec } from "../gen/flightcontrol/v1/spec_pb";
import type { CredentialRow } from "../storage/entities";
import type { CredentialStore } from "../storage/credential-store";
import { fernetDecrypt, fernetEncrypt, type FernetKeyring } from "./crypto/fernet";
import { failedPrecondition, invalidArgument, notFound, permissionDenied } from "./errors";
import { newId } from "./ids";
import { referencesIn } from "./mcp/references";
import { describeSite, secretValues } from "./mcp/values";

/** A credential opened for one run: its name (what MCP references use) and its variables. */
export interface OpenedCredential {
  id: string;
  name: string;
  env: Record<string, string>;
}

export const allowedJobIds = (row: CredentialRow): string[] => JSON.parse(row.allowedJobIds || "[]") as string[];

/** Why a run of `jobId` (undefined: an ad-hoc run) may not use the credential, or undefined if it may. */
function refusal(row: CredentialRow, jobId: string | undefined): string | undefined {
  const allowed = allowedJobIds(row);
  if (!allowed.length || (jobId !== undefined && allowed.includes(jobId))) return undefined;
  const who = jobId === undefined ? "an ad-hoc run" : `job ${jobId}`;
  return (
    `credential "${row.name}" may be used only by runs of its allowed jobs (${allowed.join(", ")}), not by ${who}; ` +
    "run one of those jobs, or add this job to the credential's allowed jobs (an admin can, on the Credentials page)"
  );
}

/**
 * Credentials are stored as one Fernet token of their JSON variables. Plaintext exists only inside
 * open(), called when a run is assigned, and is never logged or returned by an RPC. A credential
 * may be limited to named jobs (allowedJobIds): checked when a run is created and again when it is
 * handed to a worker, since the limit may have changed in between.
 */
export function createCredentials(store: CredentialStore, keyring: FernetKeyring) {
  const seal = (env: Record<string, string>) => fernetEncrypt(keyring, JSON.stringify(env));
  const names = (env: Record<string, string>) => JSON.stringify(Object.keys(env).sort());

  async function get(ws: string, id: string): Promise<CredentialRow> {
    const row = await store.get(ws, id);
    if (!row) throw notFound("credential", id);
    return row;
  }

  /** The rows of these ids, in their order; throws NotFound naming the first missing one. */
  async function rows(ws: string, ids: string[]): Promise<CredentialRow[]> {
    if (!ids.length) return [];
    const byId = new Map((await store.byIds(ws, ids)).map((r) => [r.id, r]));
    return ids.map((id) => {
      const row = byId.get(id);
      if (!row) throw notFound("credential", id);
      return row;
    });
  }

  /**
   * Every `${credential:NAME/VAR}` in the spec's MCP values names a credential the spec attaches
   * (credential_ids) and a variable it holds: one list says which credentials a run uses, and a
   * typo shows when the job is saved rather than when it runs.
   */
  function assertReferencesResolve(spec: JobSpec, attached: CredentialRow[]): void {
    const byName = new Map(attached.map((r) => [r.name, r]));
    for (const site of secretValues(spec)) {
      for (const ref of referencesIn(site.value)) {
        const row = byName.get(ref.credential);
        if (!row) {
          throw invalidArgument(
            `${describeSite(site)} refers to credential "${ref.credential}", which the spec does not attach; add it to credential_ids (or fix the name)`,
          );
        }
        if (!(JSON.parse(row.envNames) as string[]).includes(ref.variable)) {
          throw failedPrecondition(
            `${describeSite(site)} refers to ${ref.variable} of credential "${ref.credential}", which has no such variable; add it to the credential or fix the reference`,
          );
        }
      }
    }
  }

  return {
    get,
    list: (ws: string) => store.list(ws),

    async create(ws: string, name: string, description: string, env: Record<string, string>, allowed: string[] = []): Promise<CredentialRow> {
      const now = Date.now();
      const row: CredentialRow = {
        id: newId(now),
        name,
        description,
        envNames: names(env),
        ciphertext: seal(env),
        allowedJobIds: JSON.stringify(allowed),
        createdAt: now,
        updatedAt: now,
        workspaceId: ws,
      };
      await store.insert(row);
      return row;
    },

    /**
     * An empty env keeps the stored variables: values are write-only, so "unchanged" is sent as none.
     * `allowed` undefined keeps the job limit; an empty list lifts it.
     */
    async update(ws: string, id: string, description: string | undefined, env: Record<string, string>, allowed?: string[]): Promise<CredentialRow> {
      const row = await get(ws, id);
      if (description !== undefined) row.description = description;
      if (Object.keys(env).length) {
        row.ciphertext = seal(env);
        row.envNames = names(env);
      }
      if (allowed !== undefined) row.allowedJobIds = JSON.stringify(allowed);
      row.updatedAt = Date.now();
      const { description: d, ciphertext, envNames, allowedJobIds: a, updatedAt } = row;
      if (!(await store.update(ws, id, { description: d, ciphertext, envNames, allowedJobIds: a, updatedAt }))) throw notFound("credential", id);
      return row;
    },

    async remove(ws: string, id: string): Promise<void> {
      if (!(await store.remove(ws, id))) throw notFound("credential", id);
    },

    /** For a job definition: its credentials exist and its MCP references resolve to them. */
    async assertJobSpec(ws: string, spec: JobSpec): Promise<void> {
      assertReferencesResolve(spec, await rows(ws, spec.credentialIds));
      await rows(ws, repositoryCredentialIds(spec));
    },

    /**
     * For a new run (jobId undefined for an ad-hoc one): the job spec checks, and every credential
     * the run uses allows runs of this job (PermissionDenied naming the credential otherwise).
     */
    async assertRunSpec(ws: string, spec: JobSpec, jobId: string | undefined): Promise<void> {
      const attached = await rows(ws, spec.credentialIds);
      for (const row of attached) {
        const why = refusal(row, jobId);
        if (why) throw permissionDenied(why);
      }
      assertReferencesResolve(spec, attached);
      // The repository's credential reaches git only, but who may use it is the same rule.
      for (const row of await rows(ws, repositoryCredentialIds(spec))) {
        const why = refusal(row, jobId);
        if (why) throw permissionDenied(why);
      }
    },

    /**
     * The given credentials opened for a run of `jobId`, in order. Throws a plain Error (the run
     * cannot be delivered) when one no longer exists or no longer allows this job.
     */
    async open(ws: string, ids: string[], jobId: string | undefined): Promise<OpenedCredential[]> {
      if (!ids.length) return [];
      const byId = new Map((await store.byIds(ws, ids)).map((r) => [r.id, r]));
      return ids.map((id) => {
        const row = byId.get(id);
        if (!row) throw new Error(`credential ${id} no longer exists; edit the job or recreate the credential`);
        const why = refusal(row, jobId);
        if (why) throw new Error(why);
        return { id, name: row.name, env: JSON.parse(fernetDecrypt(keyring, row.ciphertext).toString("utf8")) as Record<string, string> };
      });
    },
  };
}

export type Credentials = ReturnType<typeof createCredentials>;

/** The credential that authenticates the spec's git remote, as a list of zero or one id. */
export const repositoryCredentialIds = (spec: JobSpec): string[] => (spec.repository?.credentialId ? [spec.repository.credentialId] : []);
