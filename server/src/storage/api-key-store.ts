import { In, IsNull, Not } from "typeorm";
import type { Database } from "./data-source";
import { ApiKeyEntity, type ApiKeyRow } from "./entities";

/** API keys as stored: the SHA-256 of each key, never the key (hashing and caching are the domain's, domain/auth/api-keys.ts). */
export function createApiKeyStore(db: Database) {
  const repo = db.dataSource.getRepository(ApiKeyEntity);

  return {
    get: (id: string): Promise<ApiKeyRow | null> => repo.findOneBy({ id }),
    byHash: (keyHash: string): Promise<ApiKeyRow | null> => repo.findOneBy({ keyHash }),
    /** The keys of a workspace, and the instance-admin keys too when `withInstanceAdmin`; oldest first. */
    list: (workspaceId: string, includeRevoked: boolean, withInstanceAdmin: boolean): Promise<ApiKeyRow[]> => {
      const revoked = includeRevoked ? {} : { revokedAt: IsNull() };
      const where = [{ workspaceId, ...revoked }, ...(withInstanceAdmin ? [{ workspaceId: IsNull(), ...revoked }] : [])];
      return repo.find({ where, order: { id: "ASC" } });
    },
    /** Ids of a workspace's active keys (only those `createdBy` made, when given). */
    activeIn: async (workspaceId: string, createdBy?: string): Promise<string[]> =>
      (await repo.find({ select: { id: true }, where: { workspaceId, revokedAt: IsNull(), ...(createdBy ? { createdBy } : {}) } })).map((r) => r.id),
    /** Which of these keys are revoked: one query, however many streams hold them. */
    revokedAmong: async (ids: string[]): Promise<Array<Pick<ApiKeyRow, "id" | "name">>> =>
      ids.length ? repo.find({ select: { id: true, name: true }, where: { id: In(ids), revokedAt: Not(IsNull()) } }) : [],
    countActive: (role: ApiKeyRow["role"]): Promise<number> => repo.countBy({ role, revokedAt: IsNull() }),

    insert: async (row: ApiKeyRow): Promise<void> => void (await repo.insert(row)),
    touch: async (id: string, at: number): Promise<void> => void (await repo.update({ id }, { lastUsedAt: at })),
    revoke: async (id: string, at: number): Promise<void> => void (await repo.update({ id }, { revokedAt: at })),
  };
}

export type ApiKeyStore = ReturnType<typeof createApiKeyStore>;
