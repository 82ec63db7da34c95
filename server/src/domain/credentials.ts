import type { CredentialRow } from "../storage/entities";
import type { CredentialStore } from "../storage/credential-store";
import { fernetDecrypt, fernetEncrypt, type FernetKeyring } from "./crypto/fernet";
import { notFound } from "./errors";
import { newId } from "./ids";

/**
 * Credentials are stored as one Fernet token of their JSON variables. Plaintext exists only inside
 * credentialEnv(), called when a run is assigned, and is never logged or returned by an RPC.
 */
export function createCredentials(store: CredentialStore, keyring: FernetKeyring) {
  const seal = (env: Record<string, string>) => fernetEncrypt(keyring, JSON.stringify(env));
  const names = (env: Record<string, string>) => JSON.stringify(Object.keys(env).sort());

  async function get(id: string): Promise<CredentialRow> {
    const row = await store.get(id);
    if (!row) throw notFound("credential", id);
    return row;
  }

  return {
    get,
    list: () => store.list(),

    async create(name: string, description: string, env: Record<string, string>): Promise<CredentialRow> {
      const now = Date.now();
      const row: CredentialRow = { id: newId(now), name, description, envNames: names(env), ciphertext: seal(env), createdAt: now, updatedAt: now };
      await store.insert(row);
      return row;
    },

    /** An empty env keeps the stored variables: values are write-only, so "unchanged" is sent as none. */
    async update(id: string, description: string | undefined, env: Record<string, string>): Promise<CredentialRow> {
      const row = await get(id);
      if (description !== undefined) row.description = description;
      if (Object.keys(env).length) {
        row.ciphertext = seal(env);
        row.envNames = names(env);
      }
      row.updatedAt = Date.now();
      const { description: d, ciphertext, envNames, updatedAt } = row;
      if (!(await store.update(id, { description: d, ciphertext, envNames, updatedAt }))) throw notFound("credential", id);
      return row;
    },

    async remove(id: string): Promise<void> {
      if (!(await store.remove(id))) throw notFound("credential", id);
    },

    /** Throws NotFound naming the first id that does not exist. */
    async assertExist(ids: string[]): Promise<void> {
      if (!ids.length) return;
      const found = await store.existing(ids);
      const missing = ids.find((id) => !found.has(id));
      if (missing) throw notFound("credential", missing);
    },

    /** The merged variables of the given credentials, later ones winning on a clash. */
    async credentialEnv(ids: string[]): Promise<Record<string, string>> {
      if (!ids.length) return {};
      const byId = new Map((await store.byIds(ids)).map((r) => [r.id, r]));
      const env: Record<string, string> = {};
      for (const id of ids) {
        const row = byId.get(id);
        if (!row) throw new Error(`credential ${id} no longer exists; edit the job or recreate the credential`);
        Object.assign(env, JSON.parse(fernetDecrypt(keyring, row.ciphertext).toString("utf8")));
      }
      return env;
    },
  };
}

export type Credentials = ReturnType<typeof createCredentials>;
