import { Code, ConnectError, createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Principal } from "../../domain/auth/api-keys";
import { CSRF_HEADER, type Authenticate } from "../../domain/auth/authenticate";
import type { IdentityStreams } from "../../domain/auth/identity-streams";
import { sessionStreamIdentity } from "../../domain/auth/sessions";
import { publicServices, roleName, rolePolicy, workspaceFreeMethods } from "../../domain/auth/roles";
import { readCookie, SESSION_COOKIE } from "../../http/cookies";
import { toConnectError } from "../errors";
import { endStream } from "./end-streams";
import type { StreamLimiter } from "./stream-limits";

export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "the caller: an API key or a signed-in person" });
export const workspaceKey = createContextKey<string | undefined>(undefined, { description: "the workspace the request acts in" });

/** The header an instance-admin key or a person names their workspace with (WorkspaceService's comment in the contract). */
export const WORKSPACE_HEADER = "x-workspace-id";

/** The workspace the request acts in, which the gate resolved: every handler scopes what it reads and writes by it. */
export function workspaceOf(ctx: HandlerContext): string {
  const id = ctx.values.get(workspaceKey);
  // Unreachable for any RPC behind the gate but the workspace-free ones; a handler of a public service must not ask.
  if (!id) throw new ConnectError("this request has no workspace", Code.Internal);
  return id;
}

/**
 * Authenticates every RPC (with its bearer key, or a signed-in person's session cookie and CSRF
 * header: domain/auth/authenticate.ts) and enforces the role table, as connect's request gate: it
 * runs on the headers alone, before any of the body is read or parsed, so a request without a
 * valid identity costs the server nothing more. Streaming calls that pass are counted by `streams`
 * (per identity, per address, anonymous ones tightly) and refused beyond its limits, and are
 * registered under their identity in `identities`, which ends them when the key is revoked or the
 * session signed out: the identity is checked here only, when the stream opens. It also resolves
 * the workspace the request acts in (workspaceOf).
 */
export function authGate(
  authenticate: Authenticate,
  streams?: StreamLimiter,
  identities?: Pick<IdentityStreams, "track">,
): (ctx: HandlerContext) => Promise<void> {
  return async (ctx) => {
    if (publicServices.has(ctx.service.typeName)) {
      streams?.admit(ctx, undefined);
      return;
    }
    const h = ctx.requestHeader;
    // The gate runs before the interceptors: map a domain error (e.g. the database is unavailable) here.
    const { principal, workspaceId } = await authenticate(
      {
        authorization: h.get("authorization") ?? undefined,
        sessionToken: readCookie(h.get("cookie"), SESSION_COOKIE),
        csrfToken: h.get(CSRF_HEADER) ?? undefined,
        workspace: h.get(WORKSPACE_HEADER) ?? undefined,
      },
      // Every RPC, streams included: the dashboard's own client sends the header with each.
      { requireCsrf: true },
    ).catch((err: unknown) => {
      throw toConnectError(err);
    });
    const path = `${ctx.service.typeName}/${ctx.method.name}`;
    if (workspaceId === undefined && !workspaceFreeMethods.has(path)) {
      const email = principal.person?.email ?? principal.name;
      throw new ConnectError(`${email} is not a member of any workspace yet: ask a workspace admin to add ${email}`, Code.PermissionDenied);
    }
    if (workspaceId !== undefined && !rolePolicy.get(path)?.has(principal.role)) {
      throw new ConnectError(`the ${roleName(principal.role)} role may not call ${path}`, Code.PermissionDenied);
    }
    streams?.admit(ctx, principal);
    ctx.values.set(principalKey, principal);
    ctx.values.set(workspaceKey, workspaceId);
    if (identities && ctx.method.methodKind !== "unary" && !ctx.signal.aborted) {
      // A person's stream also remembers the grant it opened with, which the revocation sweep re-checks.
      const identity = principal.person ? sessionStreamIdentity(principal.keyId, workspaceId ?? "", principal.role) : principal.keyId;
      const untrack = identities.track(identity, (err) => endStream(ctx, toConnectError(err) as ConnectError));
      ctx.signal.addEventListener("abort", untrack, { once: true });
    }
  };
}
