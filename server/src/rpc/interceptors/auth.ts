import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import type { KeyStore, Principal } from "../../domain/auth/api-keys";
import { publicServices, roleName, rolePolicy } from "../../domain/auth/roles";

export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "the caller's API key" });

/** Authenticates every RPC with its bearer key and enforces the role table. */
export function authInterceptor(keys: KeyStore): Interceptor {
  return (next) => async (req) => {
    if (publicServices.has(req.service.typeName)) return next(req);
    const header = req.header.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      throw new ConnectError("missing API key: send the header 'Authorization: Bearer <key>'", Code.Unauthenticated);
    }
    const principal = await keys.lookup(match[1]);
    if (!principal) throw new ConnectError("API key is unknown or revoked", Code.Unauthenticated);
    const path = `${req.service.typeName}/${req.method.name}`;
    if (!rolePolicy.get(path)?.has(principal.role)) {
      throw new ConnectError(`the ${roleName(principal.role)} role may not call ${path}`, Code.PermissionDenied);
    }
    req.contextValues.set(principalKey, principal);
    return next(req);
  };
}
