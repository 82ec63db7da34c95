import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dirs = new Set<string>();

/** A fresh directory under the system temp dir; removed by removeDir, else when the process exits. */
export function tempDir(prefix = "fc-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** Removes every directory tempDir made that is still there (after each test, or at exit). */
export function removeTempDirs(): void {
  for (const dir of [...dirs]) removeDir(dir);
}

process.once("exit", removeTempDirs);
