import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { SkillService } from "../../src/gen/flightcontrol/v1/skill_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { dbSnapshot, refused, spec } from "../foundation/helpers";
import { skillMd, tarGzOf, type TestEntry, zipOf } from "./archives";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

const skills = () => client(SkillService, server.url, ADMIN_KEY);
const files = (entries: Record<string, string>) => Object.entries(entries).map(([path, content]) => ({ path, content: Buffer.from(content) }));

/** Uploads that must be refused with InvalidArgument whose message matches `message`, leaving the database as it was. */
async function refusedUpload(archive: Buffer, message: RegExp) {
  const before = await dbSnapshot(server);
  const err = await refused(skills().createSkill({ archive }), Code.InvalidArgument);
  expect(err.rawMessage).toMatch(message);
  expect(await dbSnapshot(server)).toEqual(before);
}

const hostile: Array<[string, TestEntry[], RegExp]> = [
  [
    "a path with ..",
    [
      { path: "evil/SKILL.md", content: skillMd("evil") },
      { path: "evil/../../outside.txt", content: "x" },
    ],
    /"evil\/\.\.\/\.\.\/outside\.txt": "\.\." is not accepted/,
  ],
  [
    "an absolute path",
    [
      { path: "SKILL.md", content: skillMd("evil") },
      { path: "/etc/cron.d/evil", content: "x" },
    ],
    /"\/etc\/cron\.d\/evil": absolute paths are not accepted/,
  ],
  [
    "a symbolic link out",
    [
      { path: "SKILL.md", content: skillMd("evil") },
      { path: "scripts/passwd", link: "/etc/passwd" },
    ],
    /"scripts\/passwd": links are not accepted/,
  ],
  [
    "too many files",
    [{ path: "SKILL.md", content: skillMd("many") }, ...Array.from({ length: 256 }, (_, i) => ({ path: `references/r${i}.md`, content: "r" }))],
    /more than 256 files/,
  ],
  [
    "a file over 2 MiB",
    [
      { path: "SKILL.md", content: skillMd("big") },
      { path: "assets/big.bin", content: Buffer.alloc(2 * 1024 * 1024 + 1) },
    ],
    /"assets\/big\.bin": the file is larger than 2 MiB/,
  ],
  [
    "files over 4 MiB together",
    [
      { path: "SKILL.md", content: skillMd("big") },
      ...[1, 2, 3].map((i) => ({ path: `assets/part${i}.bin`, content: Buffer.alloc(1.5 * 1024 * 1024) })),
    ],
    /the files add up to more than 4 MiB/,
  ],
];

describe("SkillService", () => {
  it("creates a skill from files, a zip or a tar.gz, with each file's sha256 and scripts executable", async () => {
    const fromFiles = (await skills().createSkill({ files: files({ "SKILL.md": skillMd("from-files"), "scripts/run.sh": "#!/bin/sh\necho hi\n" }) }))
      .skill!;
    expect(fromFiles).toMatchObject({ name: "from-files", version: 1, latestVersion: 1, fileCount: 2 });
    expect(fromFiles.files.map((f) => [f.path, f.executable])).toEqual([
      ["SKILL.md", false],
      ["scripts/run.sh", true],
    ]);
    const { createHash } = await import("node:crypto");
    expect(fromFiles.files[1].sha256).toBe(createHash("sha256").update("#!/bin/sh\necho hi\n").digest("hex"));

    // An archive of one folder named like the skill: the folder is the skill.
    const zipped = (
      await skills().createSkill({
        archive: zipOf([
          { path: "zipped/", dir: true },
          { path: "zipped/SKILL.md", content: skillMd("zipped") },
          { path: "zipped/tool.py", content: "print(1)", mode: 0o755 },
        ]),
      })
    ).skill!;
    expect(zipped.files.map((f) => [f.path, f.executable])).toEqual([
      ["SKILL.md", false],
      ["tool.py", true],
    ]);
    const tarred = (
      await skills().createSkill({
        archive: tarGzOf([
          { path: "./SKILL.md", content: skillMd("tarred", "Tarred.", "license: MIT\nmetadata:\n  author: tests\nallowed-tools: Bash Read\n") },
        ]),
      })
    ).skill!;
    expect(tarred).toMatchObject({ name: "tarred", license: "MIT", metadata: { author: "tests" }, allowedTools: ["Bash", "Read"] });

    const got = await skills().getSkill({ id: tarred.id });
    expect(got.skill!.skillMd).toBe(skillMd("tarred", "Tarred.", "license: MIT\nmetadata:\n  author: tests\nallowed-tools: Bash Read\n"));
    expect((await skills().listSkills({})).skills.map((s) => s.name)).toEqual(expect.arrayContaining(["from-files", "tarred", "zipped"]));
  });

  for (const [what, entries, message] of hostile) {
    it(`refuses a zip with ${what}, storing nothing`, () => refusedUpload(zipOf(entries), message));
    it(`refuses a tar.gz with ${what}, storing nothing`, () => refusedUpload(tarGzOf(entries), message));
  }

  it("refuses what is not an archive, and a folder that does not match the name", async () => {
    await refusedUpload(Buffer.from("just text"), /not a zip or a gzip-compressed tar/);
    await refusedUpload(
      zipOf([{ path: "other/SKILL.md", content: skillMd("named") }]),
      /SKILL\.md: front matter field "name" "named" must match the folder it is in \("other"\)/,
    );
    await refusedUpload(
      zipOf([
        { path: "a/SKILL.md", content: skillMd("a") },
        { path: "b/x", content: "x" },
      ]),
      /no SKILL\.md/,
    );
  });

  const frontMatter: Array<[string, string, RegExp]> = [
    ["no front matter", "# just markdown\n", /SKILL\.md: must start with YAML front matter/],
    ["no name", "---\ndescription: d\n---\n", /field "name" is missing/],
    ["an uppercase name", "---\nname: PDF-Tool\ndescription: d\n---\n", /field "name" "PDF-Tool" must be lowercase/],
    ["a leading hyphen", "---\nname: -pdf\ndescription: d\n---\n", /must not start or end with a hyphen/],
    ["consecutive hyphens", "---\nname: pdf--tool\ndescription: d\n---\n", /must not contain consecutive hyphens/],
    ["a name over 64 characters", `---\nname: ${"a".repeat(65)}\ndescription: d\n---\n`, /field "name" is 65 characters; at most 64/],
    ["an underscore", "---\nname: pdf_tool\ndescription: d\n---\n", /may hold only letters, digits and hyphens/],
    ["no description", "---\nname: nodesc\n---\n", /field "description" is missing/],
    ["an empty description", '---\nname: nodesc\ndescription: ""\n---\n', /field "description" must be a non-empty string/],
    [
      "a description over 1024 characters",
      `---\nname: long\ndescription: ${"d".repeat(1025)}\n---\n`,
      /field "description" is 1025 characters; at most 1024/,
    ],
    [
      "a compatibility over 500 characters",
      `---\nname: compat\ndescription: d\ncompatibility: ${"c".repeat(501)}\n---\n`,
      /field "compatibility" is 501 characters; at most 500/,
    ],
    [
      "a metadata value that is not a string",
      "---\nname: meta\ndescription: d\nmetadata:\n  version: 1.0\n---\n",
      /field "metadata\.version" must be a string; quote the value/,
    ],
    ["an unknown field", "---\nname: extra\ndescription: d\nversion: 2\n---\n", /field "version" is not defined by the Agent Skills specification/],
    ["bad YAML", "---\nname: [unclosed\ndescription: d\n---\n", /the front matter is not valid YAML/],
  ];
  for (const [what, text, message] of frontMatter) {
    it(`refuses SKILL.md with ${what}, naming the file and field`, async () => {
      const before = await dbSnapshot(server);
      const err = await refused(skills().createSkill({ files: files({ "SKILL.md": text }) }), Code.InvalidArgument);
      expect(err.rawMessage).toMatch(message);
      expect(err.rawMessage).toMatch(/^SKILL\.md/);
      expect(await dbSnapshot(server)).toEqual(before);
    });
  }

  it("keeps every version, refuses a new name, and refuses deletion while a job uses the skill", async () => {
    const s = (await skills().createSkill({ files: files({ "SKILL.md": skillMd("versioned", "First.") }) })).skill!;
    const v2 = (await skills().updateSkill({ id: s.id, files: files({ "SKILL.md": skillMd("versioned", "Second."), "references/r.md": "r" }) }))
      .skill!;
    expect(v2).toMatchObject({ version: 2, latestVersion: 2, description: "Second.", fileCount: 2 });
    const old = await skills().getSkill({ id: s.id, version: 1 });
    expect(old.skill).toMatchObject({ version: 1, latestVersion: 2, description: "First.", fileCount: 1 });
    expect(old.versions.map((v) => v.version)).toEqual([2, 1]);
    const renamed = await refused(skills().updateSkill({ id: s.id, files: files({ "SKILL.md": skillMd("other-name") }) }), Code.InvalidArgument);
    expect(renamed.rawMessage).toMatch(/a new version keeps the name/);
    await refused(skills().createSkill({ files: files({ "SKILL.md": skillMd("versioned") }) }), Code.AlreadyExists);

    const jobs = client(JobService, server.url, ADMIN_KEY);
    const job = (await jobs.createJob({ name: "uses versioned", spec: spec({ skillIds: [s.id] }) })).job!;
    const inUse = await refused(skills().deleteSkill({ id: s.id }), Code.FailedPrecondition);
    expect(inUse.rawMessage).toMatch(/used by job "uses versioned"/);
    await jobs.deleteJob({ id: job.id });
    await skills().deleteSkill({ id: s.id });
    await refused(skills().getSkill({ id: s.id }), Code.NotFound);
    // Versions and files went with it.
    expect(await server.app.db.dataSource.query("SELECT COUNT(*) AS n FROM skill_files WHERE skill_id = ?", [s.id])).toEqual([{ n: 0 }]);
  });

  it("refuses a job naming a skill that does not exist", async () => {
    const jobs = client(JobService, server.url, ADMIN_KEY);
    const err = await refused(
      jobs.createJob({ name: "ghost skill", spec: spec({ skillIds: ["00000000-0000-4000-8000-000000000000"] }) }),
      Code.NotFound,
    );
    expect(err.rawMessage).toMatch(/skill 00000000-0000-4000-8000-000000000000/);
  });

  it("refuses both or neither of archive and files", async () => {
    await refused(skills().createSkill({}), Code.InvalidArgument);
    await refused(
      skills().createSkill({ archive: zipOf([{ path: "SKILL.md", content: skillMd("both") }]), files: files({ "SKILL.md": skillMd("both") }) }),
      Code.InvalidArgument,
    );
  });
});
