import type { Logger } from "../../logger";
import type { PersonRow } from "../../storage/entities";
import type { PersonStore } from "../../storage/person-store";
import { failedPrecondition, notFound, permissionDenied } from "../errors";
import { instanceAdminBy, type Sessions } from "./sessions";

/** Who asks, as far as people care. */
export interface PeopleCaller {
  /** An instance-admin key (bound to no workspace) or a person who is instance admin. */
  instanceAdmin: boolean;
  /** Set when a signed-in person asks: their own person id. */
  personId?: string;
}

/** A person as ListPeople shows them: instance admin as it is now (ORCH_ADMIN_EMAILS decides when set), and their live sessions. */
export interface ListedPerson extends PersonRow {
  activeSessions: number;
}

export interface PeopleDeps {
  store: Pick<PersonStore, "get" | "listPage" | "liveSessionCounts" | "deleteSessionsOf" | "deletePerson">;
  log: Logger;
  /** ORCH_ADMIN_EMAILS, lower case (see SessionsDeps.adminEmails). */
  adminEmails: readonly string[];
  /**
   * Drops ended sessions from the session cache and ends their streams on this server. Absent
   * without an identity provider: nobody can hold a session then.
   */
  sessions?: Pick<Sessions, "forget">;
}

const WHO_IS_INSTANCE_ADMIN =
  "an instance admin (a person named by ORCH_ADMIN_EMAILS or the first to sign in, or an API key bound to no workspace such as the bootstrap admin key)";

/**
 * People administration (PersonService): who has signed in, ending their sessions, forgetting
 * them. People are instance-level: only instance admins see or change them, except that a person
 * may end their own sessions ("sign out everywhere"). Permission is checked before existence, so a
 * person id says nothing to someone who may not act on it.
 */
export function createPeople(deps: PeopleDeps) {
  const { store, log } = deps;
  const isInstanceAdmin = instanceAdminBy(deps.adminEmails);

  const instanceAdminOnly = (caller: PeopleCaller, what: string) => {
    if (!caller.instanceAdmin) throw permissionDenied(`only ${WHO_IS_INSTANCE_ADMIN} may ${what}`);
  };

  /** Forgets sessions the store has deleted (cache, streams on this server); returns how many were still live. */
  function endAll(personId: string, deleted: Array<{ tokenHash: string; expiresAt: number }>): number {
    deps.sessions?.forget(deleted.map((s) => s.tokenHash));
    const now = Date.now();
    const live = deleted.filter((s) => s.expiresAt > now).length;
    if (deleted.length) log.info({ personId, sessions: live }, "ended a person's sessions");
    return live;
  }

  return {
    /** Up to `limit` people after the email `afterEmail`, in email order, each with their live sessions counted. */
    async page(caller: PeopleCaller, afterEmail: string | undefined, limit: number): Promise<ListedPerson[]> {
      instanceAdminOnly(caller, "list the people who have signed in");
      const rows = await store.listPage(afterEmail, limit);
      const counts = await store.liveSessionCounts(
        rows.map((r) => r.id),
        Date.now(),
      );
      return rows.map((r) => ({ ...r, instanceAdmin: isInstanceAdmin(r), activeSessions: counts.get(r.id) ?? 0 }));
    },

    /** Ends every session of the person (an instance admin: anyone's; a person: their own); returns how many were live. */
    async endSessions(caller: PeopleCaller, personId: string): Promise<number> {
      if (caller.personId !== personId) {
        instanceAdminOnly(caller, `end another person's sessions${caller.personId ? ` (you may end your own: person_id ${caller.personId})` : ""}`);
      }
      if (!(await store.get(personId))) throw notFound("person", personId);
      return endAll(personId, await store.deleteSessionsOf(personId));
    },

    /**
     * Forgets the person: their record and sessions go, so their email is free for the next
     * sign-in, which records a new person (the provider account that held it may have been
     * recreated, with a new subject). Their memberships name the email and stay.
     */
    async remove(caller: PeopleCaller, id: string): Promise<void> {
      instanceAdminOnly(caller, "forget a person");
      if (caller.personId === id) {
        throw failedPrecondition("you cannot forget yourself while signed in as that person: sign out instead, or ask another instance admin");
      }
      const person = await store.get(id);
      const deleted = person && (await store.deletePerson(id));
      if (!person || !deleted) throw notFound("person", id);
      endAll(id, deleted);
      log.info({ personId: id, email: person.email }, "forgot a person: their email is free for the next sign-in");
    },
  };
}

export type People = ReturnType<typeof createPeople>;
