import { In, LessThan, MoreThan } from "typeorm";
import type { Database } from "./data-source";
import { PersonEntity, SessionEntity, type PersonRow, type SessionRow } from "./entities";

/**
 * People who sign in, their sessions, and which workspaces they are members of. Session tokens are
 * stored as hashes only (hashing and caching are the domain's, domain/auth/sessions.ts).
 */
export function createPersonStore(db: Database) {
  const ds = db.dataSource;
  const people = ds.getRepository(PersonEntity);
  const sessions = ds.getRepository(SessionEntity);

  return {
    byEmail: (email: string): Promise<PersonRow | null> => people.findOneBy({ email }),
    get: (id: string): Promise<PersonRow | null> => people.findOneBy({ id }),

    /**
     * Records a sign-in: a new person is inserted, a known one (by email) gets their provider
     * identity, name and admin flag refreshed. `firstIsAdmin`: a person inserted into an empty
     * table becomes instance admin (checked in the same transaction as the insert).
     */
    async signIn(row: PersonRow, firstIsAdmin: boolean): Promise<PersonRow> {
      return ds.transaction(async (m) => {
        const repo = m.getRepository(PersonEntity);
        const known = await repo.findOneBy({ email: row.email });
        if (known) {
          const changes = {
            issuer: row.issuer,
            subject: row.subject,
            name: row.name,
            lastSignInAt: row.lastSignInAt,
            // The first person keeps the flag; an ORCH_ADMIN_EMAILS entry is recorded too.
            instanceAdmin: known.instanceAdmin || row.instanceAdmin,
          };
          await repo.update({ id: known.id }, changes);
          return { ...known, ...changes };
        }
        const first = firstIsAdmin && (await repo.count()) === 0;
        const inserted = { ...row, instanceAdmin: row.instanceAdmin || first };
        await repo.insert(inserted);
        return inserted;
      });
    },

    /** The workspaces the person is a member of, with their role there, in workspace name order. */
    memberships: (email: string): Promise<Array<{ workspaceId: string; role: string }>> =>
      ds
        .createQueryBuilder()
        .select(['m.workspace_id AS "workspaceId"', "m.role AS role"])
        .from("workspace_members", "m")
        .innerJoin("workspaces", "w", "w.id = m.workspace_id")
        .where("m.email = :email", { email })
        .orderBy("w.name", "ASC")
        .getRawMany(),

    insertSession: async (row: SessionRow): Promise<void> => void (await sessions.insert(row)),
    /** The session and its person, in one query; null if there is no such session. */
    async session(tokenHash: string): Promise<{ session: SessionRow; person: PersonRow } | null> {
      const session = await sessions.findOneBy({ tokenHash });
      if (!session) return null;
      const person = await people.findOneBy({ id: session.personId });
      return person ? { session, person } : null;
    },
    deleteSession: async (tokenHash: string): Promise<void> => void (await sessions.delete({ tokenHash })),
    /** Which of these sessions are over (signed out, or expired): one query. */
    async goneAmong(tokenHashes: string[]): Promise<string[]> {
      if (!tokenHashes.length) return [];
      const where = { tokenHash: In(tokenHashes), expiresAt: MoreThan(Date.now()) };
      const alive = new Set((await sessions.find({ select: { tokenHash: true }, where })).map((s) => s.tokenHash));
      return tokenHashes.filter((h) => !alive.has(h));
    },
    deleteExpired: async (now: number): Promise<number> => (await sessions.delete({ expiresAt: LessThan(now) })).affected ?? 0,
  };
}

export type PersonStore = ReturnType<typeof createPersonStore>;
