import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, RunStatus, type Run } from "../../src/gen/flightcontrol/v1/run_pb";
import { SkillService } from "../../src/gen/flightcontrol/v1/skill_pb";
import { WorkerService } from "../../src/gen/flightcontrol/v1/worker_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { startWorker, type WorkerProcess } from "../../../testkit/worker-process";
import { skillMd, tarGzOf } from "./archives";

let server: TestServer;
let worker: WorkerProcess;

beforeAll(async () => {
  server = await startTestServer();
  worker = startWorker(server.url, { name: "skills-1", capacity: 3 });
});
afterAll(async () => {
  await worker?.kill();
  await server?.cleanup();
});

const reviewFiles: Record<string, string> = {
  "SKILL.md": skillMd("code-review"),
  "scripts/run.sh": "#!/bin/sh\necho reviewing\n",
  "references/checklist.md": "- tests\n- names\n",
};
const deployFiles: Record<string, string> = {
  "SKILL.md": skillMd("deploy-notes"),
  "assets/template.txt": "Deployed {{ service }}\n",
};

/** What the fakes print for a skill folder: sha256 over each path (sorted), a NUL, then its bytes. */
function digest(files: Record<string, string>): string {
  const h = createHash("sha256");
  for (const path of Object.keys(files).sort()) h.update(`${path}\0`).update(files[path]);
  return h.digest("hex");
}

/** Where each CLI discovers project skills (worker/src/skills/install-skills.ts), and the variable that makes its fake list them. */
const AGENTS = [
  { agent: "claude-code", dir: ".claude/skills", list: "FAKE_CLAUDE_LIST_SKILLS" },
  { agent: "codex", dir: ".agents/skills", list: "FAKE_CODEX_LIST_SKILLS" },
  { agent: "goose", dir: ".goose/skills", list: "FAKE_GOOSE_LIST_SKILLS" },
];

describe("a run with two skills", () => {
  let review: string;
  let deploy: string;

  beforeAll(async () => {
    const skills = client(SkillService, server.url, ADMIN_KEY);
    review = (await skills.createSkill({ files: Object.entries(reviewFiles).map(([path, content]) => ({ path, content: Buffer.from(content) })) }))
      .skill!.id;
    // The second from an archive: one folder named like the skill.
    deploy = (
      await skills.createSkill({
        archive: tarGzOf(Object.entries(deployFiles).map(([path, content]) => ({ path: `deploy-notes/${path}`, content }))),
      })
    ).skill!.id;
    await waitFor(async () => (await client(WorkerService, server.url, ADMIN_KEY).listWorkers({})).workers.length === 1, {
      what: "worker to connect",
    });
  });

  for (const { agent, dir, list } of AGENTS) {
    it(`succeeds with ${agent}, whose fake finds both skills where ${agent} looks`, async () => {
      const jobs = client(JobService, server.url, ADMIN_KEY);
      const runs = client(RunService, server.url, ADMIN_KEY);
      const job = (
        await jobs.createJob({
          name: `skills with ${agent}`,
          spec: { agent, prompt: "use your skills", skillIds: [review, deploy], env: { [list]: "1" } },
        })
      ).job!;
      const { run } = await jobs.triggerJob({ id: job.id });
      expect(run!.skills.map((s) => [s.name, s.version])).toEqual([
        ["code-review", 1],
        ["deploy-notes", 1],
      ]);
      const done: Run = await waitFor(
        async () => {
          const r = (await runs.getRun({ id: run!.id })).run!;
          return r.finishTime ? r : undefined;
        },
        { what: `${agent} run to finish` },
      );
      const logs = (await runs.listRunLogs({ runId: run!.id })).items.flatMap((i) => (i.payload.case === "log" ? [i.payload.value.text] : []));
      expect(done.status, `${done.error}\n${logs.join("\n")}`).toBe(RunStatus.SUCCEEDED);
      expect(logs).toContain(`skill code-review dir=${dir}/code-review files=3 sha256=${digest(reviewFiles)} executable=scripts/run.sh`);
      expect(logs).toContain(`skill deploy-notes dir=${dir}/deploy-notes files=2 sha256=${digest(deployFiles)} executable=`);
      expect(logs.some((l) => l.startsWith(`skills: installed code-review (v1, 3 files), deploy-notes (v1, 2 files) in ${dir}`))).toBe(true);
    });
  }

  it("uses the version it was created with, even after a new one is uploaded", async () => {
    const skills = client(SkillService, server.url, ADMIN_KEY);
    const runs = client(RunService, server.url, ADMIN_KEY);
    const jobs = client(JobService, server.url, ADMIN_KEY);
    const job = (
      await jobs.createJob({
        name: "pinned version",
        spec: { agent: "claude-code", prompt: "go", skillIds: [review], env: { FAKE_CLAUDE_LIST_SKILLS: "1" }, requiredLabels: { pool: "later" } },
      })
    ).job!;
    const { run } = await jobs.triggerJob({ id: job.id });
    const v2 = { ...reviewFiles, "references/checklist.md": "- only tests\n" };
    await skills.updateSkill({ id: review, files: Object.entries(v2).map(([path, content]) => ({ path, content: Buffer.from(content) })) });
    // The run waits for a labelled worker, so version 2 exists before it is delivered.
    const labelled = startWorker(server.url, { name: "skills-later", labels: { pool: "later" } });
    try {
      const done = await waitFor(
        async () => {
          const r = (await runs.getRun({ id: run!.id })).run!;
          return r.finishTime ? r : undefined;
        },
        { what: "pinned run to finish" },
      );
      const logs = (await runs.listRunLogs({ runId: run!.id })).items.flatMap((i) => (i.payload.case === "log" ? [i.payload.value.text] : []));
      expect(done.status, done.error).toBe(RunStatus.SUCCEEDED);
      expect(done.skills.map((s) => s.version)).toEqual([1]);
      expect(logs).toContain(`skill code-review dir=.claude/skills/code-review files=3 sha256=${digest(reviewFiles)} executable=scripts/run.sh`);
      // A new trigger takes version 2.
      expect((await jobs.triggerJob({ id: job.id })).run!.skills.map((s) => s.version)).toEqual([2]);
    } finally {
      await labelled.kill();
    }
  });
});
