import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { SkillSchema, SkillVersionSchema, type Skill, type SkillFile, type SkillService } from "../gen/flightcontrol/v1/skill_pb";
import { frontMatterOf, type SkillDetail, type Skills, type SkillUpload } from "../domain/skills/skills";
import type { SkillAtVersion } from "../storage/skill-store";
import { ts } from "./convert";
import { workspaceOf } from "./interceptors/auth";

export interface SkillServiceDeps {
  skills: Skills;
}

/** A skill at one version; with its files and SKILL.md when the detail has them. */
export function skillToProto(s: SkillAtVersion | SkillDetail): Skill {
  const fm = frontMatterOf(s.at);
  const detail = "files" in s ? s : undefined;
  return create(SkillSchema, {
    id: s.id,
    name: s.name,
    description: s.at.description,
    version: s.at.version,
    latestVersion: s.latestVersion,
    license: fm.license,
    compatibility: fm.compatibility,
    metadata: fm.metadata,
    allowedTools: fm.allowedTools,
    fileCount: s.at.fileCount,
    sizeBytes: BigInt(s.at.sizeBytes),
    createTime: ts(s.createdAt),
    updateTime: ts(s.at.createdAt),
    files: detail?.files.map((f) => ({ path: f.path, sizeBytes: BigInt(f.sizeBytes), sha256: f.sha256, executable: Boolean(f.executable) })) ?? [],
    skillMd: detail?.skillMd ?? "",
  });
}

const upload = (archive: Uint8Array, files: SkillFile[]): SkillUpload => ({
  archive,
  files: files.map((f) => ({ path: f.path, content: Buffer.from(f.content), executable: f.executable })),
});

export function skillService({ skills }: SkillServiceDeps): ServiceImpl<typeof SkillService> {
  return {
    async createSkill(req, ctx) {
      return { skill: skillToProto(await skills.create(workspaceOf(ctx), upload(req.archive, req.files))) };
    },

    async getSkill(req, ctx) {
      const d = await skills.get(workspaceOf(ctx), req.id, req.version);
      return {
        skill: skillToProto(d),
        versions: d.versions.map((v) =>
          create(SkillVersionSchema, {
            version: v.version,
            description: v.description,
            fileCount: v.fileCount,
            sizeBytes: BigInt(v.sizeBytes),
            createTime: ts(v.createdAt),
          }),
        ),
      };
    },

    async listSkills(_req, ctx) {
      return { skills: (await skills.list(workspaceOf(ctx))).map(skillToProto) };
    },

    async updateSkill(req, ctx) {
      return { skill: skillToProto(await skills.update(workspaceOf(ctx), req.id, upload(req.archive, req.files))) };
    },

    async deleteSkill(req, ctx) {
      await skills.remove(workspaceOf(ctx), req.id);
      return {};
    },
  };
}
