import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { ScheduleService } from "../../src/gen/flightcontrol/v1/schedule_pb";
import { SkillService } from "../../src/gen/flightcontrol/v1/skill_pb";
import { ParameterType } from "../../src/gen/flightcontrol/v1/spec_pb";
import { openDatabase } from "../../src/storage/data-source";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { havePostgres, TempCluster } from "../../../testkit/postgres";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { dbSnapshot, refused, spec } from "../foundation/helpers";
import { skillMd, zipOf } from "./archives";

describe("skills and parameters on Postgres", () => {
  let cluster: TempCluster | undefined;
  let server: TestServer | undefined;

  beforeAll(async () => {
    if (!havePostgres) return;
    cluster = new TempCluster();
    await cluster.start();
    await cluster.createDatabase("fc_skills");
  }, 120_000);
  afterAll(async () => {
    await server?.cleanup();
    await cluster?.destroy();
  });

  it.skipIf(!havePostgres)("migrate, store versions in one transaction, resolve them for runs, and refuse as on SQLite", async () => {
    const db = await openDatabase(cluster!.url("fc_skills"));
    try {
      expect((await db.dataSource.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await db.dataSource.destroy();
    }
    server = await startTestServer({ databaseUrl: cluster!.url("fc_skills") });
    const skills = client(SkillService, server.url, ADMIN_KEY);
    const jobs = client(JobService, server.url, ADMIN_KEY);
    const runs = client(RunService, server.url, ADMIN_KEY);
    const s = (
      await skills.createSkill({
        files: [
          { path: "SKILL.md", content: Buffer.from(skillMd("pg-skill")) },
          { path: "scripts/x.sh", content: Buffer.from("x") },
        ],
      })
    ).skill!;
    expect(s.files.map((f) => [f.path, f.executable])).toEqual([
      ["SKILL.md", false],
      ["scripts/x.sh", true],
    ]);
    await skills.updateSkill({ id: s.id, archive: zipOf([{ path: "SKILL.md", content: skillMd("pg-skill", "Second.") }]) });
    expect((await skills.getSkill({ id: s.id, version: 1 })).skill!.fileCount).toBe(2);
    expect((await skills.listSkills({})).skills.map((x) => [x.name, x.version])).toEqual([["pg-skill", 2]]);

    const before = await dbSnapshot(server);
    await refused(
      skills.createSkill({
        archive: zipOf([
          { path: "SKILL.md", content: skillMd("evil") },
          { path: "../x", content: "x" },
        ]),
      }),
      Code.InvalidArgument,
    );
    await refused(skills.createSkill({ files: [{ path: "SKILL.md", content: Buffer.from(skillMd("pg-skill")) }] }), Code.AlreadyExists);
    expect(await dbSnapshot(server)).toEqual(before);

    const job = (
      await jobs.createJob({
        name: "pg templated",
        spec: spec({ prompt: "hi {{who}}", skillIds: [s.id], parameters: [{ name: "who", type: ParameterType.STRING, required: true }] }),
      })
    ).job!;
    const run = (await jobs.triggerJob({ id: job.id, parameters: { who: "postgres" } })).run!;
    expect(run.parameters).toEqual({ who: "postgres" });
    expect(run.skills.map((x) => [x.name, x.version])).toEqual([["pg-skill", 2]]);
    expect((await runs.getRun({ id: run.id })).run!.spec!.prompt).toBe("hi postgres");
    const schedule = (
      await client(ScheduleService, server.url, ADMIN_KEY).createSchedule({
        jobId: job.id,
        name: "pg",
        cron: "0 3 * * *",
        paused: true,
        parameters: { who: "cron" },
      })
    ).schedule!;
    expect(schedule.parameters).toEqual({ who: "cron" });
    expect((await refused(skills.deleteSkill({ id: s.id }), Code.FailedPrecondition)).rawMessage).toMatch(/used by job "pg templated"/);
  });
});
