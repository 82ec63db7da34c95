import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { ApiKeyService } from "../gen/flightcontrol/v1/api_key_pb";
import type { AppContext } from "../context";
import { apiKeyToProto } from "./convert";
import { notFound } from "./errors";
import { principalKey } from "./interceptors/auth";

export function apiKeyService(app: AppContext): ServiceImpl<typeof ApiKeyService> {
  return {
    async createApiKey(req) {
      const { row, key } = await app.keys.create(req.name, req.role);
      return { apiKey: apiKeyToProto(row), key };
    },
    async listApiKeys(req) {
      return { apiKeys: (await app.keys.list(req.includeRevoked)).map(apiKeyToProto) };
    },
    async revokeApiKey(req, ctx) {
      if (ctx.values.get(principalKey)?.keyId === req.id) {
        throw new ConnectError("you cannot revoke the key you are signed in with; use another admin key", Code.FailedPrecondition);
      }
      const row = await app.keys.revoke(req.id);
      if (!row) throw notFound("API key", req.id);
      return { apiKey: apiKeyToProto(row) };
    },
    async whoAmI(_req, ctx) {
      const p = ctx.values.get(principalKey);
      const row = p && (await app.keys.get(p.keyId));
      if (!row) throw new ConnectError("no API key on this request", Code.Unauthenticated);
      return { apiKey: apiKeyToProto(row) };
    },
  };
}
