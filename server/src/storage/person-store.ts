import { In, LessThan, MoreThan } from "typeorm";
import type { Database } from "./data-source";
import { PersonEntity, SessionEntity, type PersonRow, type SessionRow } from "./entities";

/** How a sign-in was recorded; `emailTaken`: another person (another provider identity) holds the email. */
export type SignInRecord = { person: PersonRow } | { emailTaken: PersonRow };

/** A live session's person, as the revocation sweep needs it. */
export interface LiveSession {
  tokenHash: string;
  email: string;
  instanceAdmin: boolean;
}

/**
 * People who sign in, their sessions, and which workspaces they are members of. Session tokens are
 * stored as hashes only (hashing and caching are the domain's, domain/auth/sessions.ts).
 */
export function createPersonStore(db: Database) {
  const ds = db.dataSource;
  const people = ds.getRepository(PersonEntity);
  const sessions = ds.getRepository(SessionEntity);
  /** Memberships by email, in workspace name order (case-insensitively, the same on both dialects). */
  const membershipsQuery = (emails: string[]) =>
    ds
      .createQueryBuilder()
      .select(['m.email AS "email"', 'm.workspace_id AS "workspaceId"', "m.role AS role"])
      .from("workspace_members", "m")
      .innerJoin("workspaces", "w", "w.id = m.workspace_id")
      .where("m.email IN (:...emails)", { emails })
      .orderBy("LOWER(w.name)", "ASC")
      .addOrderBy("w.id", "ASC")
      .getRawMany<{ email: string; workspaceId: string; role: string }>();

  return {
    get: (id: string): Promise<PersonRow | null> => people.findOneBy({ id }),

    /**
     * Records a sign-in. A person is their provider identity (issuer, subject): a known one gets
     * their email, name and last sign-in refreshed; a new one is inserted, unless another identity
     * holds the email already (`emailTaken`: someone at the provider claims another person's email).
     * `firstIsAdmin`: a person inserted into an empty table becomes instance admin; concurrent
     * first sign-ins are serialised (a table lock on Postgres; SQLite has one writer).
     */
    async signIn(row: PersonRow, firstIsAdmin: boolean): Promise<SignInRecord> {
      return ds.transaction(async (m) => {
        const repo = m.getRepository(PersonEntity);
        if (db.dialect === "postgres") await m.query("LOCK TABLE people IN SHARE ROW EXCLUSIVE MODE");
        const byEmail = await repo.findOneBy({ email: row.email });
        const known = await repo.findOneBy({ issuer: row.issuer, subject: row.subject });
        if (byEmail && byEmail.id !== known?.id) return { emailTaken: byEmail };
        if (known) {
          const changes = { email: row.email, name: row.name, lastSignInAt: row.lastSignInAt };
          await repo.update({ id: known.id }, changes);
          return { person: { ...known, ...changes } };
        }
        const inserted = { ...row, instanceAdmin: firstIsAdmin && (await repo.count()) === 0 };
        await repo.insert(inserted);
        return { person: inserted };
      });
    },

    /** The workspaces the person is a member of, with their role there, in workspace name order. */
    memberships: (email: string): Promise<Array<{ workspaceId: string; role: string }>> => membershipsQuery([email]),
    /** The memberships of several people at once (the revocation sweep): one query. */
    membershipsOf: async (emails: string[]) => (emails.length ? membershipsQuery(emails) : []),

    insertSession: async (row: SessionRow): Promise<void> => void (await sessions.insert(row)),
    /** The session and its person; null if there is no such session. */
    async session(tokenHash: string): Promise<{ session: SessionRow; person: PersonRow } | null> {
      const session = await sessions.findOneBy({ tokenHash });
      if (!session) return null;
      const person = await people.findOneBy({ id: session.personId });
      return person ? { session, person } : null;
    },
    deleteSession: async (tokenHash: string): Promise<void> => void (await sessions.delete({ tokenHash })),
    /** Which of these sessions are live (not signed out, not expired), with their person: one query. */
    liveAmong: async (tokenHashes: string[], now: number): Promise<LiveSession[]> =>
      tokenHashes.length
        ? ds
            .createQueryBuilder()
            .select(['s.token_hash AS "tokenHash"', 'p.email AS "email"', 'p.instance_admin AS "instanceAdmin"'])
            .from("sessions", "s")
            .innerJoin("people", "p", "p.id = s.person_id")
            .where("s.token_hash IN (:...tokenHashes)", { tokenHashes })
            .andWhere("s.expires_at > :now", { now })
            .getRawMany<LiveSession>()
            .then((rows) => rows.map((r) => ({ ...r, instanceAdmin: Boolean(r.instanceAdmin) })))
        : [],
    deleteExpired: async (now: number): Promise<number> => (await sessions.delete({ expiresAt: LessThan(now) })).affected ?? 0,

    /** Up to `limit` people after the email `afterEmail` (undefined: from the first), in email order. */
    listPage: (afterEmail: string | undefined, limit: number): Promise<PersonRow[]> =>
      people.find({ where: afterEmail === undefined ? {} : { email: MoreThan(afterEmail) }, order: { email: "ASC" }, take: limit }),

    /** How many live (not expired) sessions each of these people has, by person id; one query. People without any are absent. */
    async liveSessionCounts(personIds: string[], now: number): Promise<Map<string, number>> {
      if (!personIds.length) return new Map();
      const rows = await ds
        .createQueryBuilder()
        .select(['s.person_id AS "personId"', 'COUNT(*) AS "n"'])
        .from("sessions", "s")
        .where("s.person_id IN (:...personIds)", { personIds })
        .andWhere("s.expires_at > :now", { now })
        .groupBy("s.person_id")
        .getRawMany<{ personId: string; n: string | number }>();
      return new Map(rows.map((r) => [r.personId, Number(r.n)] as const));
    },

    /**
     * Deletes every session of the person; returns those deleted, so the caller can forget them
     * (its cache, its open streams). A session opened while this runs is not among them: it began
     * after the ending did.
     */
    deleteSessionsOf: (personId: string): Promise<SessionRow[]> =>
      ds.transaction(async (m) => {
        const repo = m.getRepository(SessionEntity);
        const rows = await repo.findBy({ personId });
        if (rows.length) await repo.delete({ tokenHash: In(rows.map((r) => r.tokenHash)) });
        return rows;
      }),

    /**
     * Deletes the person and their sessions, in one transaction; returns the sessions deleted, or
     * null when there is no such person. Memberships name emails and are not touched.
     */
    deletePerson: (id: string): Promise<SessionRow[] | null> =>
      ds.transaction(async (m) => {
        const removed = await m.getRepository(SessionEntity).findBy({ personId: id });
        // Read before the person's delete cascades to them: the caller needs their token hashes.
        const { affected } = await m.getRepository(PersonEntity).delete({ id });
        return affected ? removed : null;
      }),
  };
}

export type PersonStore = ReturnType<typeof createPersonStore>;
