import type { ServiceImpl } from "@connectrpc/connect";
import { CredentialService } from "../gen/flightcontrol/v1/credential_pb";
import type { Credentials } from "../domain/credentials";
import { credentialToProto } from "./convert";

export interface CredentialServiceDeps {
  credentials: Credentials;
}

export function credentialService({ credentials: c }: CredentialServiceDeps): ServiceImpl<typeof CredentialService> {
  return {
    async createCredential(req) {
      return { credential: credentialToProto(await c.create(req.name, req.description, req.env)) };
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
