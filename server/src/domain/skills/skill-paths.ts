import { createHash } from "node:crypto";
import { invalidArgument } from "../errors";
import { mib, SKILL_LIMITS } from "./skill-limits";

/** A file as uploaded or read from an archive, before it becomes part of a skill. */
export interface UploadedFile {
  /** As the client wrote it. */
  path: string;
  content: Buffer;
  executable: boolean;
}

/** A file of a skill: its path relative to the skill's folder, checked and normalised. */
export interface SkillFileData {
  path: string;
  content: Buffer;
  sha256: string;
  executable: boolean;
}

/** The skill's files, and the folder that held them in the upload ("" when SKILL.md was at the top). */
export interface SkillTree {
  folder: string;
  files: SkillFileData[];
  /** The path of SKILL.md as uploaded, for messages. */
  skillMdPath: string;
}

/**
 * A path inside the skill, "/"-separated and relative, or InvalidArgument naming it: no absolute
 * path, no drive letter, no backslash, no "..", no empty or control-character parts. A leading
 * "./" (as tar writes) is dropped.
 */
export function checkedPath(raw: string, where: string): string {
  const refuse = (why: string) => invalidArgument(`${where} ${JSON.stringify(raw)}: ${why}`);
  let path = raw;
  while (path.startsWith("./")) path = path.slice(2);
  if (path === "") throw refuse("the path is empty");
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) throw refuse("absolute paths are not accepted; make it relative to the skill's folder");
  if (path.includes("\\")) throw refuse('backslashes are not accepted; separate folders with "/"');
  // Control characters would let a name rewrite a terminal or a log line.
  if (/\p{Cc}/u.test(path)) throw refuse("the path contains control characters");
  if (path.length > SKILL_LIMITS.maxPathChars) throw refuse(`the path is longer than ${SKILL_LIMITS.maxPathChars} characters`);
  const parts = path.split("/");
  if (parts.at(-1) === "") parts.pop();
  if (parts.some((p) => p === "..")) throw refuse('".." is not accepted: every file must stay inside the skill\'s folder');
  if (parts.some((p) => p === "" || p === ".")) throw refuse('empty or "." path parts are not accepted');
  if (parts.length > SKILL_LIMITS.maxDepth + 1) throw refuse(`the file is more than ${SKILL_LIMITS.maxDepth} folders deep`);
  return parts.join("/");
}

/** Checks the number and size of files as they arrive, before all of them are in memory. */
export function createSizeBudget(where: string) {
  let files = 0;
  let total = 0;
  return {
    /** Call for each file before reading it; throws once there are too many. */
    file(path: string) {
      if (++files > SKILL_LIMITS.maxFiles) {
        throw invalidArgument(
          `${where}: more than ${SKILL_LIMITS.maxFiles} files (at ${JSON.stringify(path)}); a skill holds at most ${SKILL_LIMITS.maxFiles}`,
        );
      }
    },
    /** Call for each chunk of a file; throws once the file or the whole is too large. */
    bytes(path: string, fileSoFar: number, n: number) {
      total += n;
      if (fileSoFar > SKILL_LIMITS.maxFileBytes) {
        throw invalidArgument(
          `${where} ${JSON.stringify(path)}: the file is larger than ${mib(SKILL_LIMITS.maxFileBytes)}; a skill's files are at most ${mib(SKILL_LIMITS.maxFileBytes)} each`,
        );
      }
      if (total > SKILL_LIMITS.maxTotalBytes) {
        throw invalidArgument(
          `${where}: the files add up to more than ${mib(SKILL_LIMITS.maxTotalBytes)} (at ${JSON.stringify(path)}); a skill holds at most ${mib(SKILL_LIMITS.maxTotalBytes)}`,
        );
      }
    },
  };
}

/**
 * The uploaded files as a skill: paths checked, duplicates refused, and the folder holding
 * SKILL.md found: the top level, or one folder that holds everything (an archive of "my-skill/").
 * Files under scripts/ are executable whatever the upload said.
 */
export function skillTree(uploaded: UploadedFile[], where: string): SkillTree {
  const budget = createSizeBudget(where);
  const seen = new Set<string>();
  const checked = uploaded.map((f) => {
    const path = checkedPath(f.path, `${where} path`);
    if (seen.has(path)) throw invalidArgument(`${where} path ${JSON.stringify(path)}: the file is there twice; keep one`);
    seen.add(path);
    budget.file(path);
    budget.bytes(path, f.content.length, f.content.length);
    return { ...f, path };
  });
  if (!checked.length) throw invalidArgument(`${where}: no files; a skill needs at least its SKILL.md`);
  let folder = "";
  if (!seen.has("SKILL.md")) {
    const tops = new Set(checked.map((f) => (f.path.includes("/") ? f.path.split("/")[0] : "")));
    const [top] = tops;
    if (tops.size !== 1 || top === "" || !seen.has(`${top}/SKILL.md`)) {
      throw invalidArgument(`${where}: no SKILL.md; put SKILL.md at the top, or everything in one folder named like the skill with SKILL.md in it`);
    }
    folder = top;
  }
  const files = checked
    .map((f) => {
      const path = folder ? f.path.slice(folder.length + 1) : f.path;
      return {
        path,
        content: f.content,
        sha256: createHash("sha256").update(f.content).digest("hex"),
        executable: f.executable || path.startsWith("scripts/"),
      };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { folder, files, skillMdPath: folder ? `${folder}/SKILL.md` : "SKILL.md" };
}
