import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { ApiKeyService } from "../gen/flightcontrol/v1/api_key_pb";
import type { ApiKeys } from "../domain/auth/api-keys";
import { failedPrecondition } from "../domain/errors";
import { apiKeyToProto } from "./convert";
import { principalKey } from "./interceptors/auth";

export interface ApiKeyServiceDeps {
  keys: Pick<ApiKeys, "create" | "list" | "revoke" | "get">;
}

export function apiKeyService({ keys }: ApiKeyServiceDeps): ServiceImpl<typeof ApiKeyService> {
  return {
    async createApiKey(req) {
      const { row, key } = await keys.create(req.name, req.role, { workerLabels: req.workerLabels });
      return { apiKey: apiKeyToProto(row), key };
    },
    async listApiKeys(req) {
      return { apiKeys: (await keys.list(req.includeRevoked)).map(apiKeyToProto) };
    },
    async revokeApiKey(req, ctx) {
      if (ctx.values.get(principalKey)?.keyId === req.id) {
        throw failedPrecondition("you cannot revoke the key you are signed in with; use another admin key");
      }
      return { apiKey: apiKeyToProto(await keys.revoke(req.id)) };
    },
    async whoAmI(_req, ctx) {
      // Authentication is the edge's business (the auth gate has already run), so this stays a Connect code.
      const p = ctx.values.get(principalKey);
      if (!p) throw new ConnectError("no API key on this request", Code.Unauthenticated);
      return { apiKey: apiKeyToProto(await keys.get(p.keyId)) };
    },
  };
}
