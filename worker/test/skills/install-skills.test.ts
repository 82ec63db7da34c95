import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { SkillBundleSchema, type SkillBundle } from "../../src/gen/flightcontrol/v1/skill_pb";
import { installSkills, SKILL_DIRS } from "../../src/skills/install-skills";
import { PROTECTED_ENV_NAMES, PROTECTED_ENV_PREFIXES, jobEnv } from "../../src/agents/env";
import * as serverEnvNames from "../../../server/src/domain/specs/env-names";
import { removeDir, tempDir } from "../../../testkit/temp-dir";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeDir(d);
});
const workspace = () => {
  const d = tempDir("fc-skills-");
  dirs.push(d);
  return d;
};

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const bundle = (name: string, files: Record<string, string>, override: Partial<{ sha256: string; executable: boolean }> = {}): SkillBundle =>
  create(SkillBundleSchema, {
    skillId: "00000000-0000-4000-8000-000000000001",
    name,
    version: 3,
    files: Object.entries(files).map(([path, content]) => ({
      path,
      content: Buffer.from(content),
      sha256: override.sha256 ?? sha(content),
      executable: override.executable ?? path.startsWith("scripts/"),
    })),
  });
const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-C", cwd, ...args], { encoding: "utf8" });

describe("installSkills", () => {
  it("writes each skill where the agent looks, scripts executable whatever the umask", async () => {
    const cwd = workspace();
    const said: string[] = [];
    const previous = process.umask(0o077);
    try {
      await installSkills({
        skills: [bundle("review", { "SKILL.md": "---\nname: review\n---\n", "scripts/run.sh": "#!/bin/sh\n" })],
        agent: "claude-code",
        cwd,
        repository: false,
        say: (t) => said.push(t),
      });
    } finally {
      process.umask(previous);
    }
    const dir = join(cwd, ".claude/skills/review");
    expect(readFileSync(join(dir, "SKILL.md"), "utf8")).toBe("---\nname: review\n---\n");
    expect(statSync(join(dir, "scripts/run.sh")).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, "SKILL.md")).mode & 0o777).toBe(0o644);
    expect(said).toEqual(["skills: installed review (v3, 2 files) in .claude/skills"]);
    expect(SKILL_DIRS).toMatchObject({ "claude-code": ".claude/skills", codex: ".agents/skills", goose: ".goose/skills" });
  });

  it("refuses a file that does not match its sha256", async () => {
    const cwd = workspace();
    const run = installSkills({
      skills: [bundle("bad", { "SKILL.md": "x" }, { sha256: sha("y") })],
      agent: "goose",
      cwd,
      repository: false,
      say: () => {},
    });
    await expect(run).rejects.toThrow(/bad version 3: SKILL\.md does not match its SHA-256/);
  });

  it("refuses a path out of the skill's folder and a name that is not a folder name", async () => {
    const cwd = workspace();
    await expect(
      installSkills({ skills: [bundle("x", { "../../escape": "x" })], agent: "goose", cwd, repository: false, say: () => {} }),
    ).rejects.toThrow(/outside the skill's folder/);
    await expect(
      installSkills({ skills: [bundle("../x", { "SKILL.md": "x" })], agent: "goose", cwd, repository: false, say: () => {} }),
    ).rejects.toThrow(/not a plain folder name/);
  });

  it("in a checkout: keeps the skills out of the run's commit, and refuses a folder the repository already has", async () => {
    const cwd = workspace();
    git(cwd, "init", "-q");
    writeFileSync(join(cwd, "README.md"), "hi\n");
    git(cwd, "add", "-A");
    git(cwd, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init");
    await installSkills({
      skills: [bundle("review", { "SKILL.md": "s", "scripts/a.sh": "a" })],
      agent: "codex",
      cwd,
      repository: true,
      say: () => {},
    });
    expect(readFileSync(join(cwd, ".agents/skills/review/scripts/a.sh"), "utf8")).toBe("a");
    git(cwd, "add", "-A");
    expect(git(cwd, "status", "--porcelain")).toBe("");

    mkdirSync(join(cwd, ".goose/skills/review"), { recursive: true });
    await expect(
      installSkills({ skills: [bundle("review", { "SKILL.md": "s" })], agent: "goose", cwd, repository: true, say: () => {} }),
    ).rejects.toThrow(/\.goose\/skills\/review already exists in the workspace/);
  });
});

describe("a job's plain env", () => {
  it("loses the worker's protected variables", () => {
    expect(jobEnv({ A: "1", ORCH_API_KEY: "k", flightcontrol_x: "y", HOME: "/h", GOOSE_PATH_ROOT: "/g", codex_home: "/c" })).toEqual({ A: "1" });
  });

  it("protects the same names the server refuses (server/src/domain/specs/env-names.ts)", () => {
    expect([...PROTECTED_ENV_NAMES]).toEqual([...serverEnvNames.PROTECTED_ENV_NAMES]);
    expect([...PROTECTED_ENV_PREFIXES]).toEqual([...serverEnvNames.PROTECTED_ENV_PREFIXES]);
  });
});
