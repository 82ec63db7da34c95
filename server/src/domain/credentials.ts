import { Code, ConnectError } from "@connectrpc/connect";
import { In, type DataSource } from "typeorm";
import { CredentialEntity, type CredentialRow } from "../storage/entities";
import { fernetDecrypt, fernetEncrypt, type FernetKeyring } from "./crypto/fernet";
import { newId } from "./ids";

/**
 * Credentials are stored as one Fernet token of their JSON variables. Plaintext exists only inside
 * credentialEnv(), called when a run is assigned, and is never logged or returned by an RPC.
 */
export function createCredentials(ds: DataSource, keyring: FernetKeyring) {
  const repo = ds.getRepository(CredentialEntity);
  const seal = (env: Record<string, string>) => fernetEncrypt(keyring, JSON.stringify(env));

  async function get(id: string): Promise<CredentialRow> {
    const row = await repo.findOneBy({ id });
    if (!row) throw new ConnectError(`credential ${id} not found`, Code.NotFound);
    return row;
  }

  return {
    get,
    list: () => repo.find({ order: { name: "ASC" } }),

    async create(name: string, description: string, env: Record<string, string>): Promise<CredentialRow> {
      const now = Date.now();
      const row: CredentialRow = {
        id: newId(now), name, description, envNames: JSON.stringify(Object.keys(env).sort()),
        ciphertext: seal(env), createdAt: now, updatedAt: now,
      };
      await repo.insert(row);
      return row;
    },

    async update(id: string, description: string | undefined, env: Record<string, string>): Promise<CredentialRow> {
      const row = await get(id);
      if (description !== undefined) row.description = description;
      if (Object.keys(env).length) {
        row.ciphertext = seal(env);
        row.envNames = JSON.stringify(Object.keys(env).sort());
      }
      row.updatedAt = Date.now();
      await repo.update({ id }, row);
      return row;
    },

    async remove(id: string): Promise<void> {
      if (!(await repo.delete({ id })).affected) throw new ConnectError(`credential ${id} not found`, Code.NotFound);
    },

    async assertExist(ids: string[]): Promise<void> {
      if (!ids.length) return;
      const found = new Set((await repo.find({ select: { id: true }, where: { id: In(ids) } })).map((r) => r.id));
      const missing = ids.find((id) => !found.has(id));
      if (missing) throw new ConnectError(`credential ${missing} not found`, Code.NotFound);
    },

    /** The merged variables of the given credentials, later ones winning on a clash. */
    async credentialEnv(ids: string[]): Promise<Record<string, string>> {
      if (!ids.length) return {};
      const rows = await repo.find({ where: { id: In(ids) } });
      const byId = new Map(rows.map((r) => [r.id, r]));
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
