import { In } from "typeorm";
import { alreadyExists, failedPrecondition } from "../domain/errors";
import { isUniqueViolation } from "./constraints";
import type { Database } from "./data-source";
import { SkillEntity, SkillFileEntity, SkillVersionEntity, type SkillFileRow, type SkillRow, type SkillVersionRow } from "./entities";
import type { Sql } from "./sql";

/** A file of a version without its bytes: what trees and lists show. */
export type SkillFileInfoRow = Omit<SkillFileRow, "content">;

/** A skill at one of its versions. */
export type SkillAtVersion = SkillRow & { at: SkillVersionRow };

const VERSION_COLUMNS = "skill_id, version, description, front_matter, file_count, size_bytes, created_at";
const FILE_COLUMNS = "skill_id, version, path, sha256, size_bytes, executable, content";

/**
 * Skills, their versions and their files. A version is written whole, with the skill's pointer to
 * it, in one transaction: a refused or failed write leaves nothing behind, and readers never see a
 * version without its files. Versions are never changed once written. A skill is read and written
 * within its workspace; its versions and files are reached through it (the domain reads the skill
 * first), except by a run's Assign, whose skill references were resolved in the run's workspace.
 */
export function createSkillStore(db: Database, sql: Sql) {
  const skills = db.dataSource.getRepository(SkillEntity);
  const versions = db.dataSource.getRepository(SkillVersionEntity);
  const files = db.dataSource.getRepository(SkillFileEntity);
  const infoColumns = { skillId: true, version: true, path: true, sha256: true, sizeBytes: true, executable: true } as const;

  async function writeVersion(tx: Sql, v: SkillVersionRow, fileRows: SkillFileRow[]) {
    await tx.run(`INSERT INTO skill_versions (${VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
      v.skillId,
      v.version,
      v.description,
      v.frontMatter,
      v.fileCount,
      v.sizeBytes,
      v.createdAt,
    ]);
    for (const f of fileRows) {
      await tx.run(`INSERT INTO skill_files (${FILE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
        f.skillId,
        f.version,
        f.path,
        f.sha256,
        f.sizeBytes,
        f.executable,
        f.content,
      ]);
    }
  }

  return {
    get: (workspaceId: string, id: string): Promise<SkillRow | null> => skills.findOneBy({ id, workspaceId }),
    /** The rows of these ids that exist in the workspace, in no particular order. */
    byIds: (workspaceId: string, ids: string[]): Promise<SkillRow[]> =>
      ids.length ? skills.find({ where: { id: In(ids), workspaceId } }) : Promise.resolve([]),
    version: (skillId: string, version: number): Promise<SkillVersionRow | null> => versions.findOneBy({ skillId, version }),
    /** Every version of a skill, newest first. */
    versions: (skillId: string): Promise<SkillVersionRow[]> => versions.find({ where: { skillId }, order: { version: "DESC" } }),

    /** Every skill at its latest version, in name order. */
    async list(workspaceId: string): Promise<SkillAtVersion[]> {
      const rows = await skills.find({ where: { workspaceId }, order: { name: "ASC" } });
      if (!rows.length) return [];
      const latest = await versions.find({ where: rows.map((r) => ({ skillId: r.id, version: r.latestVersion })) });
      const byId = new Map(latest.map((v) => [v.skillId, v]));
      return rows.filter((r) => byId.has(r.id)).map((r) => ({ ...r, at: byId.get(r.id)! }));
    },

    /** A version's files without their bytes, in path order. */
    fileInfos: (skillId: string, version: number): Promise<SkillFileInfoRow[]> =>
      files.find({ select: infoColumns, where: { skillId, version }, order: { path: "ASC" } }),
    /** A version's files with their bytes, in path order. */
    files: (skillId: string, version: number): Promise<SkillFileRow[]> => files.find({ where: { skillId, version }, order: { path: "ASC" } }),
    /** One file of a version, or null. */
    file: (skillId: string, version: number, path: string): Promise<SkillFileRow | null> => files.findOneBy({ skillId, version, path }),

    /** A new skill with its first version; AlreadyExists when the name is taken. */
    async insert(skill: SkillRow, v: SkillVersionRow, fileRows: SkillFileRow[]): Promise<void> {
      try {
        await sql.transaction(async (tx) => {
          await tx.run("INSERT INTO skills (id, name, latest_version, created_at, updated_at, workspace_id) VALUES (?, ?, ?, ?, ?, ?)", [
            skill.id,
            skill.name,
            skill.latestVersion,
            skill.createdAt,
            skill.updatedAt,
            skill.workspaceId,
          ]);
          await writeVersion(tx, v, fileRows);
        });
      } catch (err) {
        if (isUniqueViolation(err))
          throw alreadyExists(
            `a skill named "${skill.name}" already exists; upload a new version of it (UpdateSkill) or rename the skill in SKILL.md`,
          );
        throw err;
      }
    },

    /**
     * Stores v as the skill's next version, provided its latest is still `previous`: of two
     * concurrent updates one wins and the other is FailedPrecondition. False if the skill is gone.
     */
    async addVersion(workspaceId: string, previous: number, v: SkillVersionRow, fileRows: SkillFileRow[]): Promise<boolean> {
      try {
        return await sql.transaction(async (tx) => {
          const moved = await tx.run(
            "UPDATE skills SET latest_version = ?, updated_at = ? WHERE id = ? AND workspace_id = ? AND latest_version = ?",
            [v.version, v.createdAt, v.skillId, workspaceId, previous],
          );
          if (moved !== 1) {
            if (await tx.get("SELECT id FROM skills WHERE id = ? AND workspace_id = ?", [v.skillId, workspaceId])) {
              throw failedPrecondition(`skill ${v.skillId} got a new version while this one was uploaded; upload it again`);
            }
            return false;
          }
          await writeVersion(tx, v, fileRows);
          return true;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw failedPrecondition(`skill ${v.skillId} got a new version while this one was uploaded; upload it again`);
        throw err;
      }
    },

    /** Deletes the skill with its versions and files (foreign keys cascade); false if it was not there. */
    remove: async (workspaceId: string, id: string): Promise<boolean> => ((await skills.delete({ id, workspaceId })).affected ?? 0) > 0,

    /**
     * Names of the jobs whose spec names the skill. The spec is JSON text holding the id as a
     * quoted string; an exact substring search finds it on both dialects without an index, which
     * suits a rare operation (deleting a skill).
     */
    async jobsUsing(workspaceId: string, id: string): Promise<string[]> {
      const contains = sql.dialect === "postgres" ? "strpos" : "instr";
      const rows = await sql.all<{ name: string }>(
        `SELECT name FROM job_definitions WHERE workspace_id = ? AND ${contains}(spec, ?) > 0 ORDER BY name`,
        [workspaceId, JSON.stringify(id)],
      );
      return rows.map((r) => r.name);
    },
  };
}

export type SkillStore = ReturnType<typeof createSkillStore>;
