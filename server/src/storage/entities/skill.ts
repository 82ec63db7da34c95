import { EntitySchema } from "typeorm";
import { bool, epochMs, id, int, str, text } from "../columns";
import { workspaceColumn } from "./workspace";

/** A skill: its name (unique, SKILL.md's `name`) and which of its versions is the latest. */
export interface SkillRow {
  id: string;
  name: string;
  latestVersion: number;
  createdAt: number;
  updatedAt: number;
  /** The workspace the row belongs to (entities/workspace.ts). */
  workspaceId: string;
}

/** One stored version of a skill; versions are never changed once written. */
export interface SkillVersionRow {
  skillId: string;
  version: number;
  description: string;
  /** SKILL.md's optional front-matter fields as JSON: license, compatibility, metadata, allowedTools. */
  frontMatter: string;
  fileCount: number;
  sizeBytes: number;
  createdAt: number;
}

/** A file of a skill version. The bytes are base64 text, which SQLite and Postgres store alike. */
export interface SkillFileRow {
  skillId: string;
  version: number;
  path: string;
  sha256: string;
  sizeBytes: number;
  executable: boolean;
  content: string;
}

const cascadeToSkill = {
  skill: { type: "many-to-one", target: "Skill", joinColumn: { name: "skill_id" }, onDelete: "CASCADE" },
} as never;

export const SkillEntity = new EntitySchema<SkillRow>({
  name: "Skill",
  tableName: "skills",
  columns: {
    id: id(),
    name: str(64),
    latestVersion: { ...int(), name: "latest_version" },
    createdAt: { ...epochMs(), name: "created_at" },
    updatedAt: { ...epochMs(), name: "updated_at" },
    workspaceId: workspaceColumn(),
  },
  // Names are unique per workspace; versions and files are reached through their skill.
  indices: [{ name: "idx_skills_name", columns: ["workspaceId", "name"], unique: true }],
});

export const SkillVersionEntity = new EntitySchema<SkillVersionRow>({
  name: "SkillVersion",
  tableName: "skill_versions",
  columns: {
    skillId: { type: "varchar", length: 36, primary: true, name: "skill_id" },
    version: { ...int(), primary: true },
    description: text(),
    frontMatter: { ...text(), name: "front_matter" },
    fileCount: { ...int(), name: "file_count" },
    sizeBytes: { ...epochMs(), name: "size_bytes" },
    createdAt: { ...epochMs(), name: "created_at" },
  },
  // Deleting a skill deletes its versions and files in the database itself.
  relations: cascadeToSkill,
});

export const SkillFileEntity = new EntitySchema<SkillFileRow>({
  name: "SkillFile",
  tableName: "skill_files",
  columns: {
    skillId: { type: "varchar", length: 36, primary: true, name: "skill_id" },
    version: { ...int(), primary: true },
    path: { ...str(512), primary: true },
    sha256: str(64),
    sizeBytes: { ...epochMs(), name: "size_bytes" },
    executable: bool(),
    content: text(),
  },
  relations: cascadeToSkill,
});
