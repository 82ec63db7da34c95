import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { git } from "./git";
import { evictMirrors, touchMirror } from "./mirror-cache";
import { withMirrorLock } from "./mirror-lock";

export interface MirrorOptions {
  /** The worker's work dir; mirrors live in its `mirrors/` folder. */
  workDir: string;
  url: string;
  /** Authentication for git (git-auth.ts). */
  env: Record<string, string>;
  signal?: AbortSignal;
  /** The cache's bound (ORCH_WORKER_MIRROR_CACHE_MB); unbounded when absent. */
  maxCacheBytes?: number;
  /** A system line for the run's log. */
  say: (text: string) => void;
}

/** Where the bare mirror of `url` is cached: one per URL per work dir. */
export function mirrorPath(workDir: string, url: string): string {
  return join(workDir, "mirrors", `${createHash("sha256").update(url).digest("hex").slice(0, 24)}.git`);
}

/**
 * Brings the cached bare mirror of `url` up to date and runs `use` on it while still holding its
 * lock, so no fetch rewrites the mirror while a run clones from it. The first run clones the
 * mirror (into a temp name, renamed when complete, so a failed clone leaves no half mirror); later
 * runs fetch only what changed. Afterwards the least recently used other mirrors are evicted while
 * the cache is over its bound (mirror-cache.ts).
 */
export async function withMirror<T>(opts: MirrorOptions, use: (mirror: string) => Promise<T>): Promise<T> {
  const path = mirrorPath(opts.workDir, opts.url);
  const dir = join(opts.workDir, "mirrors");
  await mkdir(dir, { recursive: true });
  const result = await withMirrorLock(
    path,
    async () => {
      if (existsSync(path)) {
        opts.say(`checkout: fetching ${opts.url} into the cached mirror`);
        await git(["-C", path, "fetch", "--prune", "--quiet", "origin"], `cannot fetch ${opts.url}`, { env: opts.env, signal: opts.signal });
      } else {
        opts.say(`checkout: cloning ${opts.url} into a new mirror`);
        // Under the lock, any partial clone is one a killed worker left behind.
        for (const f of await readdir(dir)) if (f.startsWith(`${basename(path)}.partial-`)) await rm(join(dir, f), { recursive: true, force: true });
        const partial = `${path}.partial-${process.pid}`;
        try {
          await git(["clone", "--mirror", "--quiet", "--", opts.url, partial], `cannot clone ${opts.url}`, { env: opts.env, signal: opts.signal });
          await rename(partial, path);
        } finally {
          await rm(partial, { recursive: true, force: true });
        }
      }
      const used = await use(path);
      await touchMirror(path);
      return used;
    },
    opts.signal,
  );
  if (opts.maxCacheBytes !== undefined) {
    const mib = Math.round(opts.maxCacheBytes / (1024 * 1024));
    // The run has its checkout: a cache that cannot be trimmed now is trimmed by a later run.
    const evicted = await evictMirrors({ dir, maxBytes: opts.maxCacheBytes, keep: path }).catch((err: Error) => {
      opts.say(`checkout: could not trim the mirror cache: ${err.message}`);
      return [];
    });
    if (evicted.length)
      opts.say(`checkout: evicted ${evicted.length} least recently used mirror(s) to keep the cache under ${mib} MiB (ORCH_WORKER_MIRROR_CACHE_MB)`);
  }
  return result;
}
