import { Role } from "../../gen/flightcontrol/v1/api_key_pb";
import type { Workspaces } from "../workspaces/workspaces";
import { notFound, unauthenticated } from "../errors";
import type { ApiKeys, Principal } from "./api-keys";
import { sessionEnded, type Sessions } from "./sessions";

/** What a request brings to prove who sent it, as read from its headers by the edge. */
export interface Credentials {
  /** The Authorization header. */
  authorization?: string;
  /** The session cookie's value. */
  sessionToken?: string;
  /** The x-csrf-token header. */
  csrfToken?: string;
  /** The x-workspace-id header. */
  workspace?: string;
}

export interface Authenticated {
  principal: Principal;
  /** The workspace the request acts in; undefined only for a signed-in person who is a member of none. */
  workspaceId: string | undefined;
}

export interface AuthenticatorDeps {
  keys: Pick<ApiKeys, "lookup">;
  workspaces: Pick<Workspaces, "resolve">;
  /** Absent when no identity provider is configured: only keys then. */
  sessions?: Pick<Sessions, "lookup" | "csrfMatches">;
}

export const CSRF_HEADER = "x-csrf-token";

/**
 * Who sent a request, and which workspace it acts in, with which role: from an API key
 * (`Authorization: Bearer`, which wins when both are present), or from a signed-in person's session
 * cookie. One function for every way in (the RPC gate, artifact downloads), so they cannot drift.
 *
 * A person's role is their membership's in the workspace the request names (x-workspace-id; without
 * it, the first of their workspaces by name); naming one they are not a member of is NotFound, as
 * for a key. An instance-admin person acts like an instance-admin key. Session requests that can
 * change something must carry the session's CSRF token: a cookie is sent by the browser whoever
 * made the page, a header only by our own dashboard.
 */
export function createAuthenticator(deps: AuthenticatorDeps) {
  return async function authenticate(c: Credentials, opts: { requireCsrf: boolean }): Promise<Authenticated> {
    // A bearer key wins; any other Authorization (a proxy's Basic credentials) leaves the cookie in charge.
    const bearer = /^Bearer\s/i.test(c.authorization ?? "");
    if (bearer || !c.sessionToken || !deps.sessions) {
      const match = /^Bearer\s+(\S+)$/i.exec(c.authorization ?? "");
      if (!match) throw unauthenticated("missing API key: send the header 'Authorization: Bearer <key>'");
      const principal = await deps.keys.lookup(match[1]);
      if (!principal) throw unauthenticated("API key is unknown or revoked");
      return { principal, workspaceId: await deps.workspaces.resolve(principal, c.workspace) };
    }
    const session = await deps.sessions.lookup(c.sessionToken);
    if (!session) throw sessionEnded();
    if (opts.requireCsrf && !deps.sessions.csrfMatches(c.sessionToken, c.csrfToken)) {
      throw unauthenticated(
        `missing or wrong ${CSRF_HEADER}: a request made with the sign-in cookie must send the header ${CSRF_HEADER} with the value of the fc_csrf cookie`,
      );
    }
    const { person, memberships } = session;
    const base = { keyId: session.identity, name: person.name || person.email, workerLabels: {}, person };
    if (person.instanceAdmin) {
      const principal: Principal = { ...base, role: Role.ADMIN, workspaceId: null };
      return { principal, workspaceId: await deps.workspaces.resolve(principal, c.workspace) };
    }
    const named = c.workspace?.trim() || undefined;
    if (named && !memberships.has(named)) throw notFound("workspace", named);
    const workspaceId = named ?? memberships.keys().next().value;
    const principal: Principal = {
      ...base,
      role: workspaceId ? memberships.get(workspaceId)! : Role.UNSPECIFIED,
      // Bound to the workspace it acts in, as a workspace key is ("" when none: it can see nothing).
      workspaceId: workspaceId ?? "",
      memberOf: [...memberships.keys()],
    };
    return { principal, workspaceId };
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
