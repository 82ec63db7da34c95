import { Code, ConnectError, createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { ApiKeys, Principal } from "../../domain/auth/api-keys";
import type { IdentityStreams } from "../../domain/auth/identity-streams";
import { publicServices, roleName, rolePolicy } from "../../domain/auth/roles";
import type { Workspaces } from "../../domain/workspaces/workspaces";
import { toConnectError } from "../errors";
import { endStream } from "./end-streams";
import type { StreamLimiter } from "./stream-limits";

export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "the caller's API key" });
export const workspaceKey = createContextKey<string | undefined>(undefined, { description: "the workspace the request acts in" });

/** The header an instance-admin key names its workspace with (WorkspaceService's comment in the contract). */
export const WORKSPACE_HEADER = "x-workspace-id";

/** The workspace the request acts in, which the gate resolved: every handler scopes what it reads and writes by it. */
export function workspaceOf(ctx: HandlerContext): string {
  const id = ctx.values.get(workspaceKey);
  // Unreachable for any RPC behind the gate; a handler of a public service must not ask.
  if (!id) throw new ConnectError("this request has no workspace", Code.Internal);
  return id;
}

/**
 * Authenticates every RPC with its bearer key and enforces the role table, as connect's request
 * gate: it runs on the headers alone, before any of the body is read or parsed, so a request
 * without a valid key costs the server nothing more. Streaming calls that pass are counted by
 * `streams` (per key, per address, keyless ones tightly) and refused beyond its limits, and are
 * registered under their key in `identities`, which ends them when the key is revoked: the key is
 * checked here only, when the stream opens. It also resolves the workspace the request acts in
 * (workspaceOf): the key's own, or the one an instance-admin key names in x-workspace-id.
 */
export function authGate(
  keys: Pick<ApiKeys, "lookup">,
  workspaces: Pick<Workspaces, "resolve">,
  streams?: StreamLimiter,
  identities?: Pick<IdentityStreams, "track">,
): (ctx: HandlerContext) => Promise<void> {
  return async (ctx) => {
    if (publicServices.has(ctx.service.typeName)) {
      streams?.admit(ctx, undefined);
      return;
    }
    const header = ctx.requestHeader.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      throw new ConnectError("missing API key: send the header 'Authorization: Bearer <key>'", Code.Unauthenticated);
    }
    // The gate runs before the interceptors: map a domain error (e.g. the database is unavailable) here.
    const principal = await keys.lookup(match[1]).catch((err: unknown) => {
      throw toConnectError(err);
    });
    if (!principal) throw new ConnectError("API key is unknown or revoked", Code.Unauthenticated);
    const path = `${ctx.service.typeName}/${ctx.method.name}`;
    if (!rolePolicy.get(path)?.has(principal.role)) {
      throw new ConnectError(`the ${roleName(principal.role)} role may not call ${path}`, Code.PermissionDenied);
    }
    const workspaceId = await workspaces.resolve(principal, ctx.requestHeader.get(WORKSPACE_HEADER) ?? undefined).catch((err: unknown) => {
      throw toConnectError(err);
    });
    streams?.admit(ctx, principal);
    ctx.values.set(principalKey, principal);
    ctx.values.set(workspaceKey, workspaceId);
    if (identities && ctx.method.methodKind !== "unary" && !ctx.signal.aborted) {
      const untrack = identities.track(principal.keyId, (err) => endStream(ctx, toConnectError(err) as ConnectError));
      ctx.signal.addEventListener("abort", untrack, { once: true });
    }
  };
}
