import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, readFile, realpath, stat, writeFile } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import fg from "fast-glob";
import { ArtifactKind } from "../gen/flightcontrol/v1/artifact_pb";
import type { Masker } from "../masking";
import { contentTypeOf } from "./content-type";

export interface ArtifactLimits {
  /** A larger file is skipped (ORCH_ARTIFACT_MAX_FILE_BYTES). */
  maxFileBytes: number;
  /** Files past this total for the run are skipped (ORCH_ARTIFACT_MAX_RUN_BYTES). */
  maxRunBytes: number;
}

export const DEFAULT_ARTIFACT_LIMITS: ArtifactLimits = { maxFileBytes: 50 * 1024 * 1024, maxRunBytes: 200 * 1024 * 1024 };

/** A file to keep that is not matched by a glob, e.g. the run's diff as changes.diff. */
export interface ArtifactSource {
  path: string;
  name: string;
  kind: ArtifactKind;
}

/** A file copied out of the workspace (masked if text), ready to upload; it outlives the workspace. */
export interface StagedArtifact {
  /** The worker's upload id. */
  id: string;
  /** The staged copy. */
  path: string;
  name: string;
  kind: ArtifactKind;
  contentType: string;
  sizeBytes: number;
  sha256: string;
}

export interface CollectOptions {
  workspace: string;
  patterns: string[];
  extra: ArtifactSource[];
  /** Staged copies go here (created). */
  stageDir: string;
  limits: ArtifactLimits;
  mask: Masker;
  /** A line for the run's system log (what was skipped and why). */
  note(text: string): void;
}

const SNIFF_BYTES = 8192;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Text: no NUL in the first 8 KiB, and the whole file is valid UTF-8. Only text is masked. */
function isText(bytes: Buffer): boolean {
  if (bytes.subarray(0, SNIFF_BYTES).includes(0)) return false;
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
};

/**
 * Collects a run's artifacts after its agent ended: the files of the workspace matching
 * `patterns` (globs relative to it) plus `extra` files. A match must resolve (symlinks followed)
 * to a regular file inside the workspace; a symlink out of it is skipped and named, never read.
 * Files over the per-file limit, or past the run's total, are skipped and named. Text files have
 * credential values masked as in logs; binary files are copied byte for byte.
 */
export async function collectArtifacts(opts: CollectOptions): Promise<StagedArtifact[]> {
  const { limits, note } = opts;
  const staged: StagedArtifact[] = [];
  let total = 0;
  const root = await realpath(opts.workspace);

  async function keep(source: string, name: string, kind: ArtifactKind) {
    const size = (await stat(source)).size;
    if (size > limits.maxFileBytes) {
      note(`Artifact ${name} skipped: ${size} bytes is over the per-file limit of ${limits.maxFileBytes} bytes (ORCH_ARTIFACT_MAX_FILE_BYTES)`);
      return;
    }
    if (total + size > limits.maxRunBytes) {
      note(
        `Artifact ${name} skipped: the run's artifacts would exceed the per-run limit of ${limits.maxRunBytes} bytes (ORCH_ARTIFACT_MAX_RUN_BYTES)`,
      );
      return;
    }
    const raw = await readFile(source);
    const text = isText(raw);
    const bytes = text ? Buffer.from(opts.mask(raw.toString("utf8")), "utf8") : raw;
    await mkdir(opts.stageDir, { recursive: true });
    const id = randomUUID();
    const path = join(opts.stageDir, id);
    await writeFile(path, bytes, { mode: 0o600 });
    total += size;
    staged.push({
      id,
      path,
      name,
      kind,
      contentType: contentTypeOf(name, text),
      sizeBytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
  }

  const patterns = opts.patterns.filter((p) => {
    // A glob reaching out of the workspace is refused whole, before anything is matched.
    const outward = isAbsolute(p) || p.split(/[\\/]/).includes("..");
    if (outward) note(`Artifact pattern ${JSON.stringify(p)} ignored: artifact_paths are relative to the workspace and may not leave it`);
    return !outward;
  });
  if (patterns.length) {
    // Symlinks are listed, not followed: a link to / must not make the glob walk the machine.
    const entries = await fg(patterns, { cwd: root, dot: true, onlyFiles: false, followSymbolicLinks: false, objectMode: true, unique: true });
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const e of entries) {
      const name = e.path.replace(/\/$/, "");
      if (e.dirent.isDirectory()) continue;
      // Every match, not only a listed symlink: a static pattern may pass through a linked folder.
      const target = await realpath(join(root, name)).catch(() => "");
      if (!target || !inside(root, target)) {
        note(`Artifact ${name} skipped: it is a symlink to a path outside the workspace`);
        continue;
      }
      const info = await stat(target).catch(() => undefined);
      if (!info?.isFile()) {
        if (e.dirent.isSymbolicLink() && !info?.isDirectory()) note(`Artifact ${name} skipped: it is not a regular file`);
        continue;
      }
      await keep(target, name, ArtifactKind.FILE);
    }
  }
  for (const x of opts.extra) {
    const info = await stat(x.path).catch(() => undefined);
    if (info?.isFile()) await keep(x.path, x.name, x.kind);
  }
  return staged;
}

/** Reads `length` bytes of a staged file at `offset` (the uploader's chunks). */
export async function readChunk(path: string, offset: number, length: number): Promise<Buffer> {
  const fd = await open(path, "r");
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fd.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fd.close();
  }
}
