// The bounded mirror cache: over ORCH_WORKER_MIRROR_CACHE_MB, the least recently used mirrors go,
// never one a run holds (this worker's or another process's lock) and never the one just used.
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mirrorPath, withMirror } from "../../src/repository/mirror";
import { withMirrorLock } from "../../src/repository/mirror-lock";
import { createBareRepo, gitRoot } from "../../../testkit/git-server";
import { removeDir, tempDir } from "../../../testkit/temp-dir";

let root: string;
const repos: Record<string, string> = {};
beforeAll(() => {
  root = gitRoot();
  // Incompressible content, so each mirror is about 200 KiB on disk.
  for (const name of ["a", "b", "c", "d"]) repos[name] = createBareRepo(root, name, { "data.bin": randomBytes(200 * 1024) });
});
afterAll(() => removeDir(root));

const bytesOf = (path: string) => Number(execFileSync("du", ["-sb", path], { encoding: "utf8" }).split("\t")[0]);
const cached = (workDir: string) =>
  readdirSync(join(workDir, "mirrors"))
    .filter((f) => f.endsWith(".git"))
    .sort();

/** One run's use of the mirror of `name`, with the cache bounded to `maxCacheBytes`; returns its log lines. */
async function use(workDir: string, name: string, maxCacheBytes?: number) {
  const lines: string[] = [];
  await withMirror({ workDir, url: repos[name], env: {}, maxCacheBytes, say: (t) => lines.push(t) }, async () => {});
  return lines;
}

describe("the mirror cache", () => {
  it("evicts the least recently used mirrors, by last use rather than creation, until it is under its bound", async () => {
    const workDir = tempDir("fc-mirror-cache-");
    const path = (name: string) => mirrorPath(workDir, repos[name]);
    await use(workDir, "a");
    await use(workDir, "b");
    await use(workDir, "c");
    // a is used again: b is now the least recently used.
    await use(workDir, "a");
    const two = bytesOf(path("a")) + bytesOf(path("c"));
    const lines = await use(workDir, "c", two + 1024);
    expect(cached(workDir)).toEqual([path("a"), path("c")].map((p) => p.split("/").at(-1)).sort());
    expect(lines).toContain(
      `checkout: evicted 1 least recently used mirror(s) to keep the cache under ${Math.round((two + 1024) / 1048576)} MiB (ORCH_WORKER_MIRROR_CACHE_MB)`,
    );
    // Under the bound: nothing more goes.
    expect(await use(workDir, "a", two + 1024)).not.toContainEqual(expect.stringContaining("evicted"));
    expect(existsSync(path("c"))).toBe(true);
  });

  it("never evicts a mirror a run of this worker holds, nor one another process holds, nor the one just used", async () => {
    const workDir = tempDir("fc-mirror-cache-");
    const path = (name: string) => mirrorPath(workDir, repos[name]);
    for (const name of ["a", "b", "c"]) await use(workDir, name);
    // a is being cloned from by a run of this worker; b's lock file is another live worker process's.
    let release!: () => void;
    const holding = withMirrorLock(path("a"), () => new Promise<void>((r) => (release = r)));
    writeFileSync(`${path("b")}.lock`, String(process.ppid));
    // A bound of one byte: everything would go if it could.
    await use(workDir, "d", 1);
    expect(cached(workDir)).toEqual([path("a"), path("b"), path("d")].map((p) => p.split("/").at(-1)).sort());
    release();
    await holding;
    // Once nobody holds a, the next run's trim takes it; b's holder still lives.
    await use(workDir, "d", 1);
    expect(cached(workDir)).toEqual([path("b"), path("d")].map((p) => p.split("/").at(-1)).sort());
  });

  it("keeps every mirror when unbounded", async () => {
    const workDir = tempDir("fc-mirror-cache-");
    for (const name of ["a", "b", "c", "d"]) await use(workDir, name);
    expect(cached(workDir)).toHaveLength(4);
  });
});
