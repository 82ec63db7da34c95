import { createHash } from "node:crypto";
import type { JobSpec } from "../../gen/flightcontrol/v1/spec_pb";
import type { SkillFileRow, SkillRow, SkillVersionRow } from "../../storage/entities";
import type { SkillAtVersion, SkillFileInfoRow, SkillStore } from "../../storage/skill-store";
import { failedPrecondition, invalidArgument, notFound } from "../errors";
import { newId } from "../ids";
import { parseSkillMd, type OptionalFrontMatter } from "./front-matter";
import { readArchive } from "./read-archive";
import { skillTree, type UploadedFile } from "./skill-paths";

/** What CreateSkill and UpdateSkill receive: an archive, or the files themselves. */
export interface SkillUpload {
  archive?: Uint8Array;
  files?: UploadedFile[];
}

/** A skill version a run uses (Run.skills); recorded when the run is created. */
export interface RunSkillRef {
  id: string;
  name: string;
  version: number;
}

/** A skill version with its files' bytes, as an Assign carries it. */
export interface SkillBundleData {
  skillId: string;
  name: string;
  version: number;
  files: Array<{ path: string; content: Buffer; sha256: string; executable: boolean }>;
}

/** A skill at one version, with what GetSkill shows of it. */
export interface SkillDetail extends SkillAtVersion {
  files: SkillFileInfoRow[];
  skillMd: string;
  versions: SkillVersionRow[];
}

export const frontMatterOf = (v: SkillVersionRow): OptionalFrontMatter => JSON.parse(v.frontMatter || "{}") as OptionalFrontMatter;

/**
 * Skills: uploads checked against the Agent Skills specification and our bounds, stored as
 * versions (never changed once written), resolved to versions when a run is created, and read
 * back whole for the run's Assign.
 */
export function createSkills(store: SkillStore, now: () => number = Date.now) {
  /** The upload as a checked version of skill `skillId`; nothing is stored here. */
  async function prepare(skillId: string, version: number, upload: SkillUpload) {
    const hasArchive = (upload.archive?.length ?? 0) > 0;
    const hasFiles = (upload.files?.length ?? 0) > 0;
    if (hasArchive === hasFiles) throw invalidArgument("give either archive or files, not both");
    const uploaded = hasArchive ? await readArchive(upload.archive!) : upload.files!;
    const tree = skillTree(uploaded, hasArchive ? "archive" : "files");
    const skillMd = tree.files.find((f) => f.path === "SKILL.md")!;
    const text = skillMd.content.toString("utf8");
    if (Buffer.compare(Buffer.from(text, "utf8"), skillMd.content) !== 0) throw invalidArgument(`${tree.skillMdPath}: is not UTF-8 text`);
    const fm = parseSkillMd(text, tree.skillMdPath, tree.folder);
    const at = now();
    const optional: OptionalFrontMatter = {
      license: fm.license,
      compatibility: fm.compatibility,
      metadata: fm.metadata,
      allowedTools: fm.allowedTools,
    };
    const versionRow: SkillVersionRow = {
      skillId,
      version,
      description: fm.description,
      frontMatter: JSON.stringify(optional),
      fileCount: tree.files.length,
      sizeBytes: tree.files.reduce((n, f) => n + f.content.length, 0),
      createdAt: at,
    };
    const fileRows: SkillFileRow[] = tree.files.map((f) => ({
      skillId,
      version,
      path: f.path,
      sha256: f.sha256,
      sizeBytes: f.content.length,
      executable: f.executable,
      content: f.content.toString("base64"),
    }));
    return { name: fm.name, versionRow, fileRows, at };
  }

  async function getRow(ws: string, id: string): Promise<SkillRow> {
    const row = await store.get(ws, id);
    if (!row) throw notFound("skill", id);
    return row;
  }

  async function detail(ws: string, id: string, version = 0): Promise<SkillDetail> {
    const row = await getRow(ws, id);
    const v = version || row.latestVersion;
    const at = await store.version(id, v);
    if (!at) throw notFound("skill version", `${id}@${v}`);
    const [files, skillMd, versions] = await Promise.all([store.fileInfos(id, v), store.file(id, v, "SKILL.md"), store.versions(id)]);
    return { ...row, at, files, skillMd: skillMd ? Buffer.from(skillMd.content, "base64").toString("utf8") : "", versions };
  }

  /** The latest version of each skill, in the spec's order: what a new run snapshots. */
  async function resolve(ws: string, ids: string[]): Promise<RunSkillRef[]> {
    if (!ids.length) return [];
    const byId = new Map((await store.byIds(ws, ids)).map((r) => [r.id, r]));
    const names = new Map<string, string>();
    return ids.map((id) => {
      const row = byId.get(id);
      if (!row) throw notFound("skill", `${id} (in spec.skill_ids)`);
      const other = names.get(row.name);
      if (other)
        throw invalidArgument(
          `spec.skill_ids: skills ${other} and ${id} are both named "${row.name}" and would be installed in the same folder; keep one`,
        );
      names.set(row.name, id);
      return { id, name: row.name, version: row.latestVersion };
    });
  }

  return {
    async create(ws: string, upload: SkillUpload): Promise<SkillDetail> {
      const id = newId(now());
      const p = await prepare(id, 1, upload);
      await store.insert({ id, name: p.name, latestVersion: 1, createdAt: p.at, updatedAt: p.at, workspaceId: ws }, p.versionRow, p.fileRows);
      return detail(ws, id);
    },

    /** A new version; its SKILL.md must keep the skill's name (the folder it is installed as). */
    async update(ws: string, id: string, upload: SkillUpload): Promise<SkillDetail> {
      const row = await getRow(ws, id);
      const p = await prepare(id, row.latestVersion + 1, upload);
      if (p.name !== row.name) {
        throw invalidArgument(
          `SKILL.md: front matter field "name" is "${p.name}" but this skill is "${row.name}"; a new version keeps the name (create a new skill for another name)`,
        );
      }
      if (!(await store.addVersion(ws, row.latestVersion, p.versionRow, p.fileRows))) throw notFound("skill", id);
      return detail(ws, id);
    },

    get: detail,
    list: (ws: string): Promise<SkillAtVersion[]> => store.list(ws),

    /** Refused while a job names the skill: its next trigger would fail. Runs already created keep failing loudly instead. */
    async remove(ws: string, id: string): Promise<void> {
      const jobs = await store.jobsUsing(ws, id);
      if (jobs.length) {
        throw failedPrecondition(
          `skill ${id} is used by job${jobs.length > 1 ? "s" : ""} ${jobs.map((j) => `"${j}"`).join(", ")}; remove it from them first`,
        );
      }
      if (!(await store.remove(ws, id))) throw notFound("skill", id);
    },

    /**
     * When a job is saved: every skill exists, and no two share a name (they would be installed
     * into the same folder).
     */
    async assertJobSpec(ws: string, spec: JobSpec): Promise<void> {
      await resolve(ws, spec.skillIds);
    },

    resolve,

    /**
     * The files of each version for a run's Assign, checked against their stored SHA-256. Throws a
     * plain Error (the run cannot be delivered) when a version is gone (its skill was deleted).
     */
    async bundles(refs: RunSkillRef[]): Promise<SkillBundleData[]> {
      const out: SkillBundleData[] = [];
      for (const ref of refs) {
        const rows = await store.files(ref.id, ref.version);
        if (!rows.length)
          throw new Error(
            `skill "${ref.name}" version ${ref.version} no longer exists (the skill was deleted); create it again and trigger a new run`,
          );
        out.push({
          skillId: ref.id,
          name: ref.name,
          version: ref.version,
          files: rows.map((f) => {
            const content = Buffer.from(f.content, "base64");
            if (createHash("sha256").update(content).digest("hex") !== f.sha256) {
              throw new Error(`skill "${ref.name}" version ${ref.version}: stored file ${f.path} does not match its SHA-256; upload the skill again`);
            }
            return { path: f.path, content, sha256: f.sha256, executable: Boolean(f.executable) };
          }),
        });
      }
      return out;
    },
  };
}

export type Skills = ReturnType<typeof createSkills>;
