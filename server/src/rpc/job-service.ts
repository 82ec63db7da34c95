import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { JobService } from "../gen/flightcontrol/v1/job_pb";
import { TriggerKind } from "../gen/flightcontrol/v1/run_pb";
import { JobSpecSchema } from "../gen/flightcontrol/v1/spec_pb";
import type { Credentials } from "../domain/credentials";
import type { Dispatcher } from "../domain/dispatch/dispatcher";
import { notFound } from "../domain/errors";
import { newId } from "../domain/ids";
import type { McpSecrets } from "../domain/mcp/secrets";
import type { Lifecycle } from "../domain/runs/lifecycle";
import { specFromJson, specToJson } from "../storage/codecs";
import type { JobDefinitionRow } from "../storage/entities";
import type { JobStore } from "../storage/job-store";
import { decodeCursor, encodeCursor, jobToProto, runToProto } from "./convert";

export interface JobServiceDeps {
  jobs: JobStore;
  credentials: Pick<Credentials, "assertJobSpec">;
  mcpSecrets: McpSecrets;
  lifecycle: Pick<Lifecycle, "createRun">;
  dispatcher: Pick<Dispatcher, "kick">;
}

export function jobService({ jobs, credentials, mcpSecrets, lifecycle, dispatcher }: JobServiceDeps): ServiceImpl<typeof JobService> {
  const get = async (id: string) => {
    const row = await jobs.get(id);
    if (!row) throw notFound("job", id);
    return row;
  };

  return {
    async createJob(req) {
      const spec = mcpSecrets.seal(req.spec ?? create(JobSpecSchema));
      await credentials.assertJobSpec(spec);
      const now = Date.now();
      const row: JobDefinitionRow = {
        id: newId(now), name: req.name, description: req.description, spec: specToJson(spec), createdAt: now, updatedAt: now,
      };
      await jobs.insert(row);
      return { job: jobToProto(row) };
    },

    async getJob(req) {
      return { job: jobToProto(await get(req.id)) };
    },

    async listJobs(req) {
      const limit = req.pageSize || 50;
      const rows = await jobs.list({ afterName: decodeCursor(req.pageToken), nameContains: req.query || undefined, limit: limit + 1 });
      const page = rows.slice(0, limit);
      return { jobs: page.map(jobToProto), nextPageToken: rows.length > limit ? encodeCursor(page[page.length - 1].name) : "" };
    },

    async updateJob(req) {
      const row = await get(req.id);
      if (req.name !== undefined) row.name = req.name;
      if (req.description !== undefined) row.description = req.description;
      if (req.spec) {
        // A "***" in an MCP value keeps what this job stored there (the client was shown only that).
        const spec = mcpSecrets.seal(req.spec, specFromJson(row.spec));
        await credentials.assertJobSpec(spec);
        row.spec = specToJson(spec);
      }
      row.updatedAt = Date.now();
      if (!(await jobs.update(row))) throw notFound("job", req.id);
      return { job: jobToProto(row) };
    },

    async deleteJob(req) {
      // Runs keep their snapshot and survive; schedules go with the job (foreign key cascade).
      if (!(await jobs.remove(req.id))) throw notFound("job", req.id);
      return {};
    },

    async triggerJob(req) {
      // The stored spec, not jobToProto's: that one shows MCP secrets as "***".
      const job = await get(req.id);
      const run = await lifecycle.createRun({
        spec: specFromJson(job.spec), jobId: job.id, jobName: job.name, trigger: TriggerKind.MANUAL, labels: req.labels,
      });
      dispatcher.kick();
      return { run: runToProto(run) };
    },
  };
}
