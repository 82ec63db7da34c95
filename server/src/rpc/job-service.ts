import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { JobSchema, type JobService, JobView } from "../gen/flightcontrol/v1/job_pb";
import { TriggerKind } from "../gen/flightcontrol/v1/run_pb";
import { JobSpecSchema } from "../gen/flightcontrol/v1/spec_pb";
import type { Credentials } from "../domain/credentials";
import type { Dispatcher } from "../domain/dispatch/dispatcher";
import { notFound } from "../domain/errors";
import { newId } from "../domain/ids";
import type { McpSecrets } from "../domain/mcp/secrets";
import type { Lifecycle } from "../domain/runs/lifecycle";
import { specFromJson } from "../storage/codecs";
import { assertSpecWithinLimit } from "../domain/specs/size-limit";
import { storedSpec } from "../domain/specs/stored-spec";
import type { JobDefinitionRow } from "../storage/entities";
import type { JobListRow, JobStore } from "../storage/job-store";
import { decodeCursor, encodeCursor, jobToProto, runToProto } from "./convert";
import { fillPage } from "./fill-page";

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
      assertSpecWithinLimit(req.spec ?? create(JobSpecSchema));
      const spec = mcpSecrets.seal(req.spec ?? create(JobSpecSchema));
      const stored = storedSpec(spec);
      await credentials.assertJobSpec(spec);
      const now = Date.now();
      const row: JobDefinitionRow = { id: newId(now), name: req.name, description: req.description, ...stored, createdAt: now, updatedAt: now };
      await jobs.insert(row);
      return { job: jobToProto(row) };
    },

    async getJob(req) {
      return { job: jobToProto(await get(req.id)) };
    },

    async listJobs(req) {
      const withSpec = req.view === JobView.FULL;
      const page = await fillPage(
        {
          read: (afterName: string | undefined, limit: number) => jobs.list({ afterName, nameContains: req.query || undefined, limit, withSpec }),
          cursorOf: (j: JobListRow) => j.name,
          toProto: jobToProto,
          schema: JobSchema,
          // A full job may hold a 256 KiB spec: a few at a time, as the 1 MiB page takes only a few.
          chunk: withSpec ? 8 : 100,
        },
        decodeCursor(req.pageToken),
        req.pageSize || 50,
      );
      return { jobs: page.items, nextPageToken: page.next ? encodeCursor(page.next) : "" };
    },

    async updateJob(req) {
      const row = await get(req.id);
      if (req.name !== undefined) row.name = req.name;
      if (req.description !== undefined) row.description = req.description;
      if (req.spec) {
        // A "***" in an MCP value keeps what this job stored there (the client was shown only that).
        assertSpecWithinLimit(req.spec);
        const spec = mcpSecrets.seal(req.spec, specFromJson(row.spec));
        Object.assign(row, storedSpec(spec));
        await credentials.assertJobSpec(spec);
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
        spec: specFromJson(job.spec),
        jobId: job.id,
        jobName: job.name,
        trigger: TriggerKind.MANUAL,
        labels: req.labels,
      });
      dispatcher.kick();
      return { run: runToProto(run) };
    },
  };
}
