import { lstat, readdir, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { tryWithMirrorLock } from "./mirror-lock";

/** A cached mirror, its size on disk and when a run last used it. */
interface CachedMirror {
  path: string;
  bytes: number;
  lastUsed: number;
}

/** Marks a mirror as just used: the cache evicts the least recently used first (its directory's mtime). */
export async function touchMirror(path: string): Promise<void> {
  const now = new Date();
  await utimes(path, now, now);
}

/** Bytes of the files under `dir` (a mirror is a few pack files and many small refs). */
async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await sizeOf(p);
    else total += (await lstat(p).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

export interface EvictOptions {
  /** The folder holding the mirrors (`<work dir>/mirrors`). */
  dir: string;
  maxBytes: number;
  /** Never evicted, even alone over the limit: the mirror the current run just used. */
  keep: string;
}

/**
 * Bounds the worker's mirror cache (ORCH_WORKER_MIRROR_CACHE_MB): while the mirrors together are
 * over `maxBytes`, removes the least recently used. A mirror in use — locked by a run of this or
 * another worker process fetching into it or cloning from it — is skipped, never removed under a
 * run; removal happens under its lock, so no run starts on a half-deleted mirror (it would clone
 * it afresh). Returns the paths removed.
 */
export async function evictMirrors(opts: EvictOptions): Promise<string[]> {
  const names = (await readdir(opts.dir).catch(() => [] as string[])).filter((n) => n.endsWith(".git"));
  const mirrors: CachedMirror[] = [];
  for (const name of names) {
    const path = join(opts.dir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    mirrors.push({ path, bytes: await sizeOf(path).catch(() => 0), lastUsed: info.mtimeMs });
  }
  let total = mirrors.reduce((n, m) => n + m.bytes, 0);
  const evicted: string[] = [];
  for (const m of mirrors.sort((a, b) => a.lastUsed - b.lastUsed)) {
    if (total <= opts.maxBytes) break;
    if (m.path === opts.keep) continue;
    const removed = await tryWithMirrorLock(m.path, async () => {
      await rm(m.path, { recursive: true, force: true });
      return true;
    });
    if (removed) {
      total -= m.bytes;
      evicted.push(m.path);
    }
  }
  return evicted;
}
