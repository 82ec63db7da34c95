import type { ServiceImpl } from "@connectrpc/connect";
import type { CredentialService } from "../gen/flightcontrol/v1/credential_pb";
import type { Credentials } from "../domain/credentials";
import { notFound } from "../domain/errors";
import type { JobStore } from "../storage/job-store";
import { credentialToProto } from "./convert";

export interface CredentialServiceDeps {
  credentials: Credentials;
  jobs: Pick<JobStore, "get">;
}

export function credentialService({ credentials: c, jobs }: CredentialServiceDeps): ServiceImpl<typeof CredentialService> {
  /** A mistyped id would otherwise allow nothing and be noticed only when the job's runs fail. */
  const assertJobsExist = async (ids: string[]) => {
    for (const id of ids) if (!(await jobs.get(id))) throw notFound("job", id);
  };
  return {
    async createCredential(req) {
      await assertJobsExist(req.allowedJobIds);
      return { credential: credentialToProto(await c.create(req.name, req.description, req.env, req.allowedJobIds)) };
    },
    async listCredentials() {
      return { credentials: (await c.list()).map(credentialToProto) };
    },
    async updateCredential(req) {
      const allowed = req.allowedJobIds?.ids;
      if (allowed) await assertJobsExist(allowed);
      return { credential: credentialToProto(await c.update(req.id, req.description, req.env, allowed)) };
    },
    async deleteCredential(req) {
      await c.remove(req.id);
      return {};
    },
  };
}
