import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Role } from "../../gen/flightcontrol/v1/api_key_pb";
import type { Logger } from "../../logger";
import type { PersonRow } from "../../storage/entities";
import type { PersonStore } from "../../storage/person-store";
import { inBackground } from "../background";
import { permissionDenied, unauthenticated } from "../errors";
import { newId } from "../ids";
import { KEY_CACHE_TTL_MS, roleFromColumn } from "./api-keys";
import type { IdentityStreams } from "./identity-streams";

/** What the identity provider said about the person signing in (domain/auth/oidc.ts). */
export interface PersonClaims {
  issuer: string;
  subject: string;
  email?: string;
  /** Absent when the provider does not say; false refuses the sign-in. */
  emailVerified?: boolean;
  name?: string;
}

/** A session as a request sees it: the person, and the workspaces they may act in, by role. */
export interface ActiveSession {
  /** The identity its streams are tracked under (IdentityStreams), ended at sign-out. */
  identity: string;
  person: PersonRow;
  /** Workspace id → role, in workspace name order; empty for a person who is a member of none. */
  memberships: Map<string, Role>;
  expiresAt: number;
}

export interface SessionsDeps {
  store: PersonStore;
  log: Logger;
  /** Lower-case emails made instance admin when they sign in (ORCH_ADMIN_EMAILS); when empty, the first person is. */
  adminEmails: readonly string[];
  ttlMs: number;
  streams?: IdentityStreams;
}

/** Bound on the session cache: about a megabyte; beyond it the least recently read are read again. */
const MAX_CACHED_SESSIONS = 10_000;

const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");

/** The stream identity of a session: its token hash, which is also its row's key (revocation-sweep.ts looks it up). */
export const SESSION_IDENTITY_PREFIX = "session:";

/**
 * The session's CSRF token: derived from the session token, so it needs no storage and no other
 * replica has to know it, and it reveals nothing about the token (it is a hash of it).
 */
export const csrfTokenFor = (token: string): string => createHash("sha256").update(`csrf:${token}`).digest("base64url");

export const sessionEnded = () => unauthenticated("your session has ended (signed out or expired); sign in again");

/**
 * Signed-in people and their sessions. A session is read from the database at most every
 * KEY_CACHE_TTL_MS (as API keys are), memberships with it, so a role change or a sign-out on
 * another replica takes effect within 2 s.
 */
export function createSessions(deps: SessionsDeps) {
  const { store, log } = deps;
  const cache = new Map<string, { active: ActiveSession | undefined; at: number }>();
  /**
   * With ORCH_ADMIN_EMAILS set, the list decides, at every request: removing an email (and
   * restarting) takes the rights away. Without it, the flag stored when the first person signed in.
   */
  const isInstanceAdmin = (p: PersonRow) => (deps.adminEmails.length ? deps.adminEmails.includes(p.email) : p.instanceAdmin);

  /** Records the sign-in and opens a session; the caller sets `token` as the session cookie. */
  async function signIn(claims: PersonClaims): Promise<{ person: PersonRow; token: string; csrf: string; expiresAt: number }> {
    const email = claims.email?.trim().toLowerCase();
    if (!email) {
      throw permissionDenied(
        "the identity provider did not report an email address for you; Flight Control needs one (ask your administrator to release the 'email' claim for the 'email' scope)",
      );
    }
    if (claims.emailVerified === false) {
      throw permissionDenied(`the identity provider reports ${email} as unverified; verify it there, then sign in again`);
    }
    const now = Date.now();
    const person = await store.signIn(
      {
        id: newId(now),
        email,
        issuer: claims.issuer,
        subject: claims.subject,
        name: (claims.name ?? "").slice(0, 200),
        instanceAdmin: deps.adminEmails.includes(email),
        createdAt: now,
        lastSignInAt: now,
      },
      deps.adminEmails.length === 0,
    );
    const token = randomBytes(32).toString("base64url");
    const expiresAt = now + deps.ttlMs;
    await store.insertSession({ tokenHash: hashToken(token), personId: person.id, createdAt: now, expiresAt });
    // Expired sessions are deleted as people sign in: no timer, and the table stays as small as the signed-in crowd.
    inBackground(log, "delete expired sessions", () => store.deleteExpired(now));
    const signedIn = { ...person, instanceAdmin: isInstanceAdmin(person) };
    log.info({ personId: person.id, email, instanceAdmin: signedIn.instanceAdmin }, "a person signed in");
    return { person: signedIn, token, csrf: csrfTokenFor(token), expiresAt };
  }

  /** The session the cookie's token opens, or undefined (unknown, signed out, expired). */
  async function lookup(token: string): Promise<ActiveSession | undefined> {
    const hash = hashToken(token);
    const now = Date.now();
    let hit = cache.get(hash);
    if (!hit || now - hit.at > KEY_CACHE_TTL_MS) {
      const found = await store.session(hash);
      let active: ActiveSession | undefined;
      if (found) {
        const memberships = new Map((await store.memberships(found.person.email)).map((m) => [m.workspaceId, roleFromColumn(m.role)] as const));
        const person = { ...found.person, instanceAdmin: isInstanceAdmin(found.person) };
        active = { identity: SESSION_IDENTITY_PREFIX + hash, person, memberships, expiresAt: found.session.expiresAt };
      }
      hit = { active, at: now };
      // Unknown tokens are not remembered: anyone can invent them, without limit.
      cache.delete(hash);
      if (active) {
        cache.set(hash, hit);
        // Sessions that are never used again (expired, or their browser gone) leave the oldest end.
        if (cache.size > MAX_CACHED_SESSIONS) cache.delete(cache.keys().next().value!);
      }
    }
    if (!hit.active || hit.active.expiresAt <= now) return undefined;
    return hit.active;
  }

  /** Signs out: deletes the session and ends its streams on this server (other replicas: revocation-sweep.ts). */
  async function end(token: string): Promise<void> {
    const hash = hashToken(token);
    await store.deleteSession(hash);
    cache.delete(hash);
    deps.streams?.end(SESSION_IDENTITY_PREFIX + hash, sessionEnded());
  }

  /** Whether `given` is the CSRF token of the session `token` opens (constant time). */
  function csrfMatches(token: string, given: string | undefined): boolean {
    if (!given) return false;
    const want = Buffer.from(csrfTokenFor(token));
    const got = Buffer.from(given);
    return want.length === got.length && timingSafeEqual(want, got);
  }

  return { signIn, lookup, end, csrfMatches };
}

export type Sessions = ReturnType<typeof createSessions>;
