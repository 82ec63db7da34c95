import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { JobService } from "../gen/flightcontrol/v1/job_pb";
import { TriggerKind } from "../gen/flightcontrol/v1/run_pb";
import { JobSpecSchema } from "../gen/flightcontrol/v1/spec_pb";
import type { AppContext } from "../context";
import { newId } from "../domain/ids";
import { JobDefinitionEntity, type JobDefinitionRow } from "../storage/entities";
import { specToJson } from "../storage/codecs";
import { decodeCursor, encodeCursor, jobToProto, runToProto } from "./convert";
import { notFound, uniquely } from "./errors";

export function jobService(app: AppContext): ServiceImpl<typeof JobService> {
  const repo = app.db.dataSource.getRepository(JobDefinitionEntity);
  const get = async (id: string) => {
    const row = await repo.findOneBy({ id });
    if (!row) throw notFound("job", id);
    return row;
  };

  return {
    async createJob(req) {
      const spec = req.spec ?? create(JobSpecSchema);
      await app.credentials.assertExist(spec.credentialIds);
      const now = Date.now();
      const row: JobDefinitionRow = {
        id: newId(now), name: req.name, description: req.description, spec: specToJson(spec), createdAt: now, updatedAt: now,
      };
      await uniquely(`a job named "${req.name}"`, () => repo.insert(row));
      return { job: jobToProto(row) };
    },

    async getJob(req) {
      return { job: jobToProto(await get(req.id)) };
    },

    async listJobs(req) {
      const limit = req.pageSize || 50;
      const qb = repo.createQueryBuilder("j").orderBy("j.name", "ASC").limit(limit + 1);
      const after = decodeCursor(req.pageToken);
      if (after) qb.andWhere("j.name > :after", { after });
      if (req.query) {
        const escaped = req.query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
        qb.andWhere("LOWER(j.name) LIKE :q ESCAPE '\\'", { q: `%${escaped}%` });
      }
      const rows = await qb.getMany();
      const page = rows.slice(0, limit);
      return { jobs: page.map(jobToProto), nextPageToken: rows.length > limit ? encodeCursor(page[page.length - 1].name) : "" };
    },

    async updateJob(req) {
      const row = await get(req.id);
      if (req.name !== undefined) row.name = req.name;
      if (req.description !== undefined) row.description = req.description;
      if (req.spec) {
        await app.credentials.assertExist(req.spec.credentialIds);
        row.spec = specToJson(req.spec);
      }
      row.updatedAt = Date.now();
      await uniquely(`a job named "${row.name}"`, () => repo.update({ id: row.id }, row));
      return { job: jobToProto(row) };
    },

    async deleteJob(req) {
      // Runs keep their snapshot and survive; schedules go with the job (foreign key cascade).
      if (!(await repo.delete({ id: req.id })).affected) throw notFound("job", req.id);
      return {};
    },

    async triggerJob(req) {
      const job = jobToProto(await get(req.id));
      const run = await app.lifecycle.createRun({
        spec: job.spec!, jobId: job.id, jobName: job.name, trigger: TriggerKind.MANUAL, labels: req.labels,
      });
      app.dispatcher.kick();
      return { run: runToProto(run) };
    },
  };
}
