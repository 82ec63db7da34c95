import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { JobSchema, type JobService, JobView } from "../gen/flightcontrol/v1/job_pb";
import { TriggerKind } from "../gen/flightcontrol/v1/run_pb";
import { JobSpecSchema, type JobSpec } from "../gen/flightcontrol/v1/spec_pb";
import type { Credentials } from "../domain/credentials";
import type { Dispatcher } from "../domain/dispatch/dispatcher";
import { invalidArgument, notFound } from "../domain/errors";
import { newId } from "../domain/ids";
import type { McpSecrets } from "../domain/mcp/secrets";
import type { Lifecycle } from "../domain/runs/lifecycle";
import { applyParameters } from "../domain/parameters/apply-parameters";
import { jobToRecipe, recipeToJob } from "../domain/recipes/goose-recipe";
import { redactMcpSecrets } from "../domain/mcp/secrets";
import type { Skills } from "../domain/skills/skills";
import { assertSpecTemplate } from "../domain/specs/template";
import { specFromJson } from "../storage/codecs";
import { assertSpecWithinLimit } from "../domain/specs/size-limit";
import { storedSpec } from "../domain/specs/stored-spec";
import type { JobDefinitionRow } from "../storage/entities";
import type { JobListRow, JobStore } from "../storage/job-store";
import { decodeCursor, encodeCursor, jobToProto, runToProto } from "./convert";
import { fillPage } from "./fill-page";
import { workspaceOf } from "./interceptors/auth";

export interface JobServiceDeps {
  jobs: JobStore;
  credentials: Pick<Credentials, "assertJobSpec">;
  mcpSecrets: McpSecrets;
  lifecycle: Pick<Lifecycle, "createRun">;
  dispatcher: Pick<Dispatcher, "kick">;
  skills: Pick<Skills, "assertJobSpec">;
}

export function jobService({ jobs, credentials, mcpSecrets, lifecycle, dispatcher, skills }: JobServiceDeps): ServiceImpl<typeof JobService> {
  const get = async (ws: string, id: string) => {
    const row = await jobs.get(ws, id);
    if (!row) throw notFound("job", id);
    return row;
  };

  /** Everything a spec must pass before it is stored in a job; `previous` is the job's stored spec. */
  const checkedSpec = async (ws: string, requested: JobSpec, previous?: JobSpec) => {
    assertSpecWithinLimit(requested);
    assertSpecTemplate(requested);
    const spec = mcpSecrets.seal(requested, previous);
    const stored = storedSpec(spec);
    await credentials.assertJobSpec(ws, spec);
    await skills.assertJobSpec(ws, spec);
    return stored;
  };

  const insertJob = async (ws: string, name: string, description: string, requested: JobSpec) => {
    const stored = await checkedSpec(ws, requested);
    const now = Date.now();
    const row: JobDefinitionRow = { id: newId(now), name, description, ...stored, createdAt: now, updatedAt: now, workspaceId: ws };
    await jobs.insert(row);
    return row;
  };

  return {
    async createJob(req, ctx) {
      return { job: jobToProto(await insertJob(workspaceOf(ctx), req.name, req.description, req.spec ?? create(JobSpecSchema))) };
    },

    async getJob(req, ctx) {
      return { job: jobToProto(await get(workspaceOf(ctx), req.id)) };
    },

    async listJobs(req, ctx) {
      const workspaceId = workspaceOf(ctx);
      const withSpec = req.view === JobView.FULL;
      const page = await fillPage(
        {
          read: (afterName: string | undefined, limit: number) =>
            jobs.list({ workspaceId, afterName, nameContains: req.query || undefined, limit, withSpec }),
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

    async updateJob(req, ctx) {
      const ws = workspaceOf(ctx);
      const row = await get(ws, req.id);
      if (req.name !== undefined) row.name = req.name;
      if (req.description !== undefined) row.description = req.description;
      // A "***" in an MCP value keeps what this job stored there (the client was shown only that).
      if (req.spec) Object.assign(row, await checkedSpec(ws, req.spec, specFromJson(row.spec)));
      row.updatedAt = Date.now();
      if (!(await jobs.update(row))) throw notFound("job", req.id);
      return { job: jobToProto(row) };
    },

    async deleteJob(req, ctx) {
      // Runs keep their snapshot and survive; schedules go with the job (foreign key cascade).
      if (!(await jobs.remove(workspaceOf(ctx), req.id))) throw notFound("job", req.id);
      return {};
    },

    async triggerJob(req, ctx) {
      // The stored spec, not jobToProto's: that one shows MCP secrets as "***".
      const job = await get(workspaceOf(ctx), req.id);
      const applied = applyParameters(specFromJson(job.spec), req.parameters);
      const run = await lifecycle.createRun({
        workspaceId: job.workspaceId,
        spec: applied.spec,
        jobId: job.id,
        jobName: job.name,
        trigger: TriggerKind.MANUAL,
        labels: req.labels,
        parameters: applied.values,
      });
      dispatcher.kick();
      return { run: runToProto(run) };
    },

    async importRecipe(req, ctx) {
      const recipe = recipeToJob(req.recipe);
      const name = req.name || recipe.name;
      if (!/^\P{Cc}{1,100}$/u.test(name)) {
        throw invalidArgument("recipe: its title is not a valid job name (1 to 100 characters, no control characters); give the job a name");
      }
      return { job: jobToProto(await insertJob(workspaceOf(ctx), name, recipe.description.slice(0, 4000), recipe.spec)) };
    },

    async exportRecipe(req, ctx) {
      const job = await get(workspaceOf(ctx), req.id);
      return { recipe: jobToRecipe({ name: job.name, description: job.description, spec: redactMcpSecrets(specFromJson(job.spec)) }) };
    },
  };
}
