import { LessThan } from "typeorm";
import type { Database } from "./data-source";
import { ArtifactEntity, type ArtifactRow } from "./entities";

/** Artifact metadata as stored; the bytes live in the blob store (storage/blobs/). */
export function createArtifactStore(db: Database) {
  const repo = db.dataSource.getRepository(ArtifactEntity);

  return {
    get: (id: string): Promise<ArtifactRow | null> => repo.findOneBy({ id }),
    /** A run's artifacts in the order they were stored (ids are time-ordered). */
    listByRun: (runId: string): Promise<ArtifactRow[]> => repo.find({ where: { runId }, order: { id: "ASC" } }),
    byUpload: (runId: string, uploadId: string): Promise<ArtifactRow | null> => repo.findOneBy({ runId, uploadId }),

    /**
     * Inserts the row unless (run_id, upload_id) is already stored (a resent upload). True if this
     * call inserted it: the caller then owns the blob stored under row.id; otherwise it deletes it.
     */
    async insertOnce(row: ArtifactRow): Promise<boolean> {
      await repo.createQueryBuilder().insert().into(ArtifactEntity).values(row).orIgnore().execute();
      // TypeORM reports no affected count for an ignored insert on SQLite: read back whose row won.
      const stored = await repo.findOneBy({ runId: row.runId, uploadId: row.uploadId });
      return stored?.id === row.id;
    },

    /** Up to `limit` artifacts stored before `before`, oldest first (retention). */
    olderThan: (before: number, limit: number): Promise<ArtifactRow[]> =>
      repo.find({ where: { createdAt: LessThan(before) }, order: { createdAt: "ASC" }, take: limit }),
    remove: async (id: string): Promise<boolean> => ((await repo.delete({ id })).affected ?? 0) > 0,
    count: (): Promise<number> => repo.count(),
  };
}

export type ArtifactStore = ReturnType<typeof createArtifactStore>;
