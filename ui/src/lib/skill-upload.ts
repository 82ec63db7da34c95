// Turns what the user dropped or picked into CreateSkill/UpdateSkill's source: one archive as
// `archive`, or loose files (a folder's contents) as `files` with their relative paths. The server
// validates the skill itself; this only refuses what it could never accept, with what to do instead.

/** One dropped or picked file with its path relative to what was dropped ("my-skill/SKILL.md"). */
export interface PickedFile {
  path: string;
  blob: Blob;
}

export type SkillSource = { archive: Uint8Array; files?: undefined } | { files: { path: string; content: Uint8Array }[]; archive?: undefined };

/** SkillFile.max_items in skill.proto. */
export const MAX_FILES = 256;

const ARCHIVE = /\.(zip|tar\.gz|tgz)$/i;
// Finder and macOS zip leave these beside real files; they are never part of a skill.
const JUNK = /(^|\/)(\.DS_Store|__MACOSX(\/.*)?|Thumbs\.db)$/;

export function isArchiveName(name: string): boolean {
  return ARCHIVE.test(name);
}

/** CreateSkill's source for the picked files, or a sentence saying why there is none. */
export async function skillSource(picked: readonly PickedFile[]): Promise<SkillSource | string> {
  const files = picked.filter((f) => !JUNK.test(f.path));
  if (!files.length) return "Drop a skill: a folder with SKILL.md, its files, or a .zip / .tar.gz of it.";
  const archives = files.filter((f) => isArchiveName(f.path));
  if (archives.length) {
    if (files.length > 1) return "Drop one archive on its own, or the skill's files without archives among them.";
    return { archive: new Uint8Array(await (archives[0] as PickedFile).blob.arrayBuffer()) };
  }
  if (files.length > MAX_FILES)
    return `A skill may have at most ${MAX_FILES} files; this has ${files.length}. Leave out what the agent does not need.`;
  if (!files.some((f) => f.path === "SKILL.md" || /^[^/]+\/SKILL\.md$/.test(f.path))) {
    return "There is no SKILL.md at the top of what you dropped (or in its one folder); drop the skill's folder itself.";
  }
  const out = await Promise.all(files.map(async (f) => ({ path: f.path, content: new Uint8Array(await f.blob.arrayBuffer()) })));
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files: out };
}

/** Files from an <input type="file"> (with or without webkitdirectory): the folder's relative paths. */
export function pickedFromInput(list: FileList | readonly File[]): PickedFile[] {
  return [...list].map((f) => ({ path: f.webkitRelativePath || f.name, blob: f }));
}

// The File and Directory Entries API is the only way a browser exposes a dropped folder's contents.
function readAllEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  return new Promise((resolve, reject) => {
    // readEntries returns the entries in batches (100 in Chromium) until an empty one.
    const next = () =>
      reader.readEntries((batch) => {
        if (!batch.length) return resolve(all);
        all.push(...batch);
        next();
      }, reject);
    next();
  });
}

async function walk(entry: FileSystemEntry, prefix: string, out: PickedFile[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path, blob: file });
  } else if (entry.isDirectory) {
    for (const child of await readAllEntries(entry as FileSystemDirectoryEntry)) await walk(child, path, out);
  }
}

/** Files from a drop: folders are walked, so a dropped skill folder keeps its layout. */
export async function pickedFromDrop(dt: DataTransfer): Promise<PickedFile[]> {
  // Entries must be taken synchronously, before the first await: the DataTransfer empties after.
  const entries = [...dt.items].map((i) => (typeof i.webkitGetAsEntry === "function" ? i.webkitGetAsEntry() : null));
  if (entries.every((e) => e === null)) return pickedFromInput(dt.files);
  const out: PickedFile[] = [];
  for (const e of entries) if (e) await walk(e, "", out);
  return out;
}
