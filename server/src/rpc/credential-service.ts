import type { ServiceImpl } from "@connectrpc/connect";
import { CredentialService } from "../gen/flightcontrol/v1/credential_pb";
import type { AppContext } from "../context";
import { credentialToProto } from "./convert";
import { uniquely } from "./errors";

export function credentialService(app: AppContext): ServiceImpl<typeof CredentialService> {
  const c = app.credentials;
  return {
    async createCredential(req) {
      const row = await uniquely(`a credential named "${req.name}"`, () => c.create(req.name, req.description, req.env));
      return { credential: credentialToProto(row) };
    },
    async listCredentials() {
      return { credentials: (await c.list()).map(credentialToProto) };
    },
    async updateCredential(req) {
      return { credential: credentialToProto(await c.update(req.id, req.description, req.env)) };
    },
    async deleteCredential(req) {
      await c.remove(req.id);
      return {};
    },
  };
}
