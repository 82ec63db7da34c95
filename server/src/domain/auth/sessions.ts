import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { Role } from "../../gen/flightcontrol/v1/api_key_pb";
import type { Logger } from "../../logger";
import type { PersonRow } from "../../storage/entities";
import type { PersonStore } from "../../storage/person-store";
import { inBackground } from "../background";
import { type DomainError, permissionDenied, unauthenticated } from "../errors";
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
  /** ORCH_OIDC_TRUST_UNVERIFIED_EMAIL: accept an email the provider does not say is verified (never one it says is not). */
  trustUnverifiedEmail?: boolean;
  /**
   * ORCH_OIDC_ALLOWED_DOMAINS, lower case: when not empty, only people whose email is at one of
   * these domains (exactly; a subdomain is another domain), or who are named by ORCH_ADMIN_EMAILS,
   * may sign in, and sessions of anyone else end. For providers anyone can have an account at.
   */
  allowedDomains?: readonly string[];
  ttlMs: number;
  streams?: IdentityStreams;
}

/** Bound on the session cache: about a megabyte; beyond it the least recently read are read again. */
const MAX_CACHED_SESSIONS = 10_000;

const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");

/** The identity of a session (its principal's keyId): its token hash, which is also its row's key. */
export const SESSION_IDENTITY_PREFIX = "session:";

/**
 * What a person's stream is tracked under (IdentityStreams): the session, and the workspace and
 * role it was opened with, so that the revocation sweep can tell when that grant is gone.
 */
export const sessionStreamIdentity = (sessionIdentity: string, workspaceId: string, role: Role): string =>
  `${sessionIdentity}/${workspaceId}/${role}`;

function parseStreamIdentity(identity: string): { identity: string; hash: string; workspaceId: string; role: Role } | undefined {
  const m = /^session:([0-9a-f]{64})\/([^/]*)\/(\d+)$/.exec(identity);
  return m ? { identity, hash: m[1], workspaceId: m[2], role: Number(m[3]) as Role } : undefined;
}

const membershipChanged = (workspaceId: string) =>
  unauthenticated(`your membership of workspace ${workspaceId} changed (removed, or another role); this stream is closed, reconnect`);

/**
 * The session's CSRF token: derived from the session token, so it needs no storage and no other
 * replica has to know it, and it reveals nothing about the token (it is a hash of it).
 */
export const csrfTokenFor = (token: string): string => createHash("sha256").update(`csrf:${token}`).digest("base64url");

export const sessionEnded = () => unauthenticated("your session has ended (signed out or expired); sign in again");

/**
 * Whether a person is instance admin. With ORCH_ADMIN_EMAILS set, the list decides, at every
 * request: removing an email (and restarting) takes the rights away. Without it, the flag stored
 * when the first person signed in.
 */
export const instanceAdminBy =
  (adminEmails: readonly string[]) =>
  (p: Pick<PersonRow, "email" | "instanceAdmin">): boolean =>
    adminEmails.length ? adminEmails.includes(p.email) : p.instanceAdmin;

/**
 * Signed-in people and their sessions. A session is read from the database at most every
 * KEY_CACHE_TTL_MS (as API keys are), memberships with it, so a role change or a sign-out on
 * another replica takes effect within 2 s.
 */
export function createSessions(deps: SessionsDeps) {
  const { store, log } = deps;
  const cache = new Map<string, { active: ActiveSession | undefined; at: number }>();
  const isInstanceAdmin = instanceAdminBy(deps.adminEmails);
  const allowedDomains = deps.allowedDomains ?? [];
  /** Checked at every session lookup too, so that narrowing the list (and restarting) ends the sessions it leaves out. */
  const mayEnter = (email: string) =>
    !allowedDomains.length || allowedDomains.includes(email.slice(email.lastIndexOf("@") + 1)) || deps.adminEmails.includes(email);

  /** Records the sign-in and opens a session; the caller sets `token` as the session cookie. */
  async function signIn(claims: PersonClaims): Promise<{ person: PersonRow; token: string; csrf: string; expiresAt: number }> {
    const email = claims.email?.trim().toLowerCase();
    if (!email) {
      throw permissionDenied(
        "the identity provider did not report an email address for you; Flight Control needs one (ask your administrator to release the 'email' claim for the 'email' scope)",
      );
    }
    if (email.length > 254) throw permissionDenied(`the identity provider reported an email of ${email.length} characters; at most 254 are accepted`);
    if (claims.emailVerified === false) {
      throw permissionDenied(`the identity provider reports ${email} as unverified; verify it there, then sign in again`);
    }
    if (claims.emailVerified !== true && !deps.trustUnverifiedEmail) {
      throw permissionDenied(
        `the identity provider did not say that ${email} is verified (no email_verified claim); Flight Control knows people by email, so it needs a verified one. If your provider never sends email_verified and you trust its emails, set ORCH_OIDC_TRUST_UNVERIFIED_EMAIL=1`,
      );
    }
    if (!mayEnter(email)) {
      log.warn(
        { email, issuer: claims.issuer, subject: claims.subject },
        "refused a sign-in: the email's domain is not in ORCH_OIDC_ALLOWED_DOMAINS",
      );
      throw permissionDenied(
        `${email} may not sign in here: this Flight Control admits people with an email at ${allowedDomains.join(", ")} only (ORCH_OIDC_ALLOWED_DOMAINS); sign in with such an account, or ask an instance admin`,
      );
    }
    const now = Date.now();
    const recorded = await store.signIn(
      {
        id: newId(now),
        email,
        issuer: claims.issuer,
        subject: claims.subject,
        name: (claims.name ?? "").slice(0, 200),
        instanceAdmin: false,
        createdAt: now,
        lastSignInAt: now,
      },
      deps.adminEmails.length === 0,
    );
    if ("emailTaken" in recorded) {
      log.warn({ email, issuer: claims.issuer, subject: claims.subject }, "refused a sign-in: another identity at the provider holds this email");
      throw permissionDenied(
        `${email} belongs to someone who signed in with another account at the identity provider; sign in with that account, or ask an instance admin`,
      );
    }
    const { person } = recorded;
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
      if (found && mayEnter(found.person.email)) {
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
    forget([hash]);
  }

  /**
   * Sessions whose rows were deleted (signed out, or ended by PersonService): drops them from the
   * cache and ends their streams on this server, at once. Other replicas: their cache expires
   * within KEY_CACHE_TTL_MS, and the revocation sweep ends their streams.
   */
  function forget(tokenHashes: string[]): void {
    for (const hash of tokenHashes) cache.delete(hash);
    const sessions = new Set(tokenHashes.map((hash) => SESSION_IDENTITY_PREFIX + hash));
    // A stream identity is the session's, then "/workspace/role".
    deps.streams?.endWhere((identity) => sessions.has(identity.slice(0, identity.indexOf("/"))), sessionEnded());
  }

  /**
   * Of the session streams open here (their stream identities), those the person may no longer
   * hold, each with the error to end it with: the session is over (signed out on another replica,
   * or expired), or the person's role in the stream's workspace is not the one it opened with
   * (removed, demoted, promoted, workspace deleted). Two queries, however many streams.
   */
  async function staleStreams(identities: string[]): Promise<Array<[string, DomainError]>> {
    const parsed = identities.map(parseStreamIdentity).filter((p) => p !== undefined);
    if (!parsed.length) return [];
    const live = new Map((await store.liveAmong([...new Set(parsed.map((p) => p.hash))], Date.now())).map((l) => [l.tokenHash, l] as const));
    const roles = new Map<string, Map<string, Role>>();
    for (const m of await store.membershipsOf([...new Set([...live.values()].map((l) => l.email))])) {
      if (!roles.has(m.email)) roles.set(m.email, new Map());
      roles.get(m.email)!.set(m.workspaceId, roleFromColumn(m.role));
    }
    const stale: Array<[string, DomainError]> = [];
    for (const p of parsed) {
      const session = live.get(p.hash);
      if (!session || !mayEnter(session.email)) {
        stale.push([p.identity, sessionEnded()]);
        continue;
      }
      const admin = isInstanceAdmin(session);
      const now = admin ? Role.ADMIN : roles.get(session.email)?.get(p.workspaceId);
      if (now !== p.role) stale.push([p.identity, membershipChanged(p.workspaceId)]);
    }
    return stale;
  }

  /** Whether `given` is the CSRF token of the session `token` opens (constant time). */
  function csrfMatches(token: string, given: string | undefined): boolean {
    if (!given) return false;
    const want = Buffer.from(csrfTokenFor(token));
    const got = Buffer.from(given);
    return want.length === got.length && timingSafeEqual(want, got);
  }

  return { signIn, lookup, end, forget, csrfMatches, staleStreams };
}

export type Sessions = ReturnType<typeof createSessions>;
