import { open, readFile, rm, stat } from "node:fs/promises";

/** Waits for the previous holder of each key in this process. */
const held = new Map<string, Promise<void>>();

const POLL_MS = 100;
/** A lock file older than this whose writer cannot be checked is taken to be left over. */
const STALE_MS = 30 * 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes `<path>.lock` (O_EXCL), waiting while another live process holds it; a dead holder's file is removed. */
async function lockFile(lock: string, signal?: AbortSignal): Promise<() => Promise<void>> {
  for (;;) {
    signal?.throwIfAborted();
    try {
      const fh = await open(lock, "wx", 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const pid = Number(await readFile(lock, "utf8").catch(() => ""));
    const age = await stat(lock).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if ((pid > 0 && !alive(pid)) || (!(pid > 0) && age > STALE_MS)) {
      await rm(lock, { force: true });
      continue;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Rejects when `signal` aborts. */
function stopped(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(new Error("stopped while waiting for the repository mirror"));
    signal.addEventListener("abort", () => reject(new Error("stopped while waiting for the repository mirror")), { once: true });
  });
}

/**
 * Runs `fn` holding the lock of one mirror: an in-process queue for runs of this worker, plus a
 * lock file for other worker processes sharing the work dir (git refuses concurrent fetches into
 * one repository, and a clone must not read a mirror that a fetch is rewriting).
 */
export async function withMirrorLock<T>(path: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const previous = held.get(path) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chain = previous.then(() => mine);
  held.set(path, chain);
  try {
    // A run stopped while queued leaves at once; the next in line still waits for `previous` (chain).
    await (signal ? Promise.race([previous, stopped(signal)]) : previous);
    const unlock = await lockFile(`${path}.lock`, signal);
    try {
      return await fn();
    } finally {
      await unlock();
    }
  } finally {
    release();
    if (held.get(path) === chain) held.delete(path);
  }
}

/**
 * Runs `fn` holding the lock of one mirror if nobody holds it now — no run of this worker queued
 * for it and no lock file of another process — else returns undefined at once. For the cache's
 * eviction: a mirror in use is busy, not waited for.
 */
export async function tryWithMirrorLock<T>(path: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (held.has(path)) return undefined;
  let release!: () => void;
  const chain = new Promise<void>((r) => (release = r));
  held.set(path, chain);
  try {
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(`${path}.lock`, "wx", 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") return undefined;
      throw err;
    }
    try {
      await fh.writeFile(String(process.pid));
      await fh.close();
      return await fn();
    } finally {
      await rm(`${path}.lock`, { force: true });
    }
  } finally {
    release();
    if (held.get(path) === chain) held.delete(path);
  }
}
