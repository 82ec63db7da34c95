import { JobDefinitionEntity, JobRunEntity } from "./entities";
import type { Database } from "./data-source";

/**
 * Rewrites every job definition's and run's stored spec that holds a sealed MCP value (its JSON
 * contains "${sealed:"), in one transaction, so a failure leaves every spec as it was. `reseal`
 * maps a spec's JSON to its new JSON (domain/mcp/secrets.ts: rotateJson). Returns how many.
 */
export async function resealSealedSpecs(db: Database, reseal: (specJson: string) => string): Promise<number> {
  return db.dataSource.transaction(async (m) => {
    let n = 0;
    for (const entity of [JobDefinitionEntity, JobRunEntity]) {
      const repo = m.getRepository(entity);
      const rows = await repo.createQueryBuilder("t").select(["t.id", "t.spec"]).where("t.spec LIKE :p", { p: "%${sealed:%" }).getMany();
      for (const row of rows) {
        await repo.update({ id: row.id }, { spec: reseal(row.spec) });
        n++;
      }
    }
    return n;
  });
}
