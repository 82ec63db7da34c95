import { In } from "typeorm";
import type { Database } from "./data-source";
import { uniquely } from "./constraints";
import { CredentialEntity, type CredentialRow } from "./entities";

/** The fields an update may change. */
export type CredentialPatch = Partial<Pick<CredentialRow, "description" | "envNames" | "ciphertext" | "allowedJobIds" | "updatedAt">>;

/**
 * Credentials as stored: names and ciphertext only; sealing and opening is the domain's
 * (domain/credentials.ts). Every read and write names the workspace: a credential of another one
 * is not there.
 */
export function createCredentialStore(db: Database) {
  const ds = db.dataSource;
  const repo = ds.getRepository(CredentialEntity);

  return {
    get: (workspaceId: string, id: string): Promise<CredentialRow | null> => repo.findOneBy({ id, workspaceId }),
    list: (workspaceId: string): Promise<CredentialRow[]> => repo.find({ where: { workspaceId }, order: { name: "ASC" } }),
    /** The rows of these ids that exist in the workspace, in no particular order. */
    byIds: (workspaceId: string, ids: string[]): Promise<CredentialRow[]> => repo.find({ where: { id: In(ids), workspaceId } }),

    insert: async (row: CredentialRow): Promise<void> => void (await uniquely(`a credential named "${row.name}"`, () => repo.insert(row))),
    /** False if the credential is gone. */
    update: async (workspaceId: string, id: string, patch: CredentialPatch): Promise<boolean> =>
      ((await repo.update({ id, workspaceId }, patch)).affected ?? 0) > 0,
    remove: async (workspaceId: string, id: string): Promise<boolean> => ((await repo.delete({ id, workspaceId })).affected ?? 0) > 0,

    /**
     * Replaces every credential's ciphertext with reseal(ciphertext), all in one transaction so a
     * failure (e.g. a token no key opens) leaves every credential as it was. Returns how many.
     */
    resealAll: (reseal: (ciphertext: string) => string): Promise<number> =>
      ds.transaction(async (m) => {
        const tx = m.getRepository(CredentialEntity);
        const rows = await tx.find();
        for (const row of rows) await tx.update({ id: row.id }, { ciphertext: reseal(row.ciphertext) });
        return rows.length;
      }),
  };
}

export type CredentialStore = ReturnType<typeof createCredentialStore>;
