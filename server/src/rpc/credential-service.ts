import type { ServiceImpl } from "@connectrpc/connect";
import type { CredentialService } from "../gen/flightcontrol/v1/credential_pb";
import type { Credentials } from "../domain/credentials";
import { notFound } from "../domain/errors";
import type { JobStore } from "../storage/job-store";
import { credentialToProto } from "./convert";
import { workspaceOf } from "./interceptors/auth";

export interface CredentialServiceDeps {
  credentials: Credentials;
  jobs: Pick<JobStore, "get">;
}

export function credentialService({ credentials: c, jobs }: CredentialServiceDeps): ServiceImpl<typeof CredentialService> {
  /** A mistyped id would otherwise allow nothing and be noticed only when the job's runs fail. */
  const assertJobsExist = async (ws: string, ids: string[]) => {
    for (const id of ids) if (!(await jobs.get(ws, id))) throw notFound("job", id);
  };
  return {
    async createCredential(req, ctx) {
      const ws = workspaceOf(ctx);
      await assertJobsExist(ws, req.allowedJobIds);
      return { credential: credentialToProto(await c.create(ws, req.name, req.description, req.env, req.allowedJobIds)) };
    },
    async listCredentials(_req, ctx) {
      return { credentials: (await c.list(workspaceOf(ctx))).map(credentialToProto) };
    },
    async updateCredential(req, ctx) {
      const ws = workspaceOf(ctx);
      const allowed = req.allowedJobIds?.ids;
      if (allowed) await assertJobsExist(ws, allowed);
      return { credential: credentialToProto(await c.update(ws, req.id, req.description, req.env, allowed)) };
    },
    async deleteCredential(req, ctx) {
      await c.remove(workspaceOf(ctx), req.id);
      return {};
    },
  };
}
