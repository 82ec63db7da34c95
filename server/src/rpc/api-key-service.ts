import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { ApiKeyService } from "../gen/flightcontrol/v1/api_key_pb";
import type { ApiKeys, KeyScope } from "../domain/auth/api-keys";
import { failedPrecondition } from "../domain/errors";
import type { Workspaces } from "../domain/workspaces/workspaces";
import { apiKeyToProto, personToProto } from "./convert";
import { principalKey, workspaceKey, workspaceOf } from "./interceptors/auth";

export interface ApiKeyServiceDeps {
  keys: Pick<ApiKeys, "create" | "list" | "revoke" | "get">;
  workspaces: Pick<Workspaces, "get">;
}

export function apiKeyService({ keys, workspaces }: ApiKeyServiceDeps): ServiceImpl<typeof ApiKeyService> {
  /** The keys a request sees: those of its workspace, and instance-admin keys for an instance-admin caller. */
  const scopeOf = (ctx: HandlerContext): KeyScope => ({
    workspaceId: workspaceOf(ctx),
    instanceAdmin: ctx.values.get(principalKey)?.workspaceId === null,
  });

  return {
    async createApiKey(req, ctx) {
      // Another workspace than the request's: NotFound unless the caller may act in it (instance admin).
      const workspaceId = req.workspaceId || workspaceOf(ctx);
      if (workspaceId !== workspaceOf(ctx)) await workspaces.get(ctx.values.get(principalKey)!, workspaceId);
      const createdBy = ctx.values.get(principalKey)?.person?.email;
      const { row, key } = await keys.create(req.name, req.role, { workerLabels: req.workerLabels, workspaceId, createdBy });
      return { apiKey: apiKeyToProto(row), key };
    },
    async listApiKeys(req, ctx) {
      return { apiKeys: (await keys.list(scopeOf(ctx), req.includeRevoked)).map(apiKeyToProto) };
    },
    async revokeApiKey(req, ctx) {
      if (ctx.values.get(principalKey)?.keyId === req.id) {
        throw failedPrecondition("you cannot revoke the key you are signed in with; use another admin key");
      }
      return { apiKey: apiKeyToProto(await keys.revoke(scopeOf(ctx), req.id)) };
    },
    async whoAmI(_req, ctx) {
      // Authentication is the edge's business (the auth gate has already run), so this stays a Connect code.
      const p = ctx.values.get(principalKey);
      if (!p) throw new ConnectError("no API key on this request", Code.Unauthenticated);
      const who = p.person ? { person: personToProto(p.person) } : { apiKey: apiKeyToProto(await keys.get(null, p.keyId)) };
      return { ...who, workspaceId: ctx.values.get(workspaceKey) ?? "", role: p.role, instanceAdmin: p.workspaceId === null };
    },
  };
}
