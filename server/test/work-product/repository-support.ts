import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { Artifact } from "../../src/gen/flightcontrol/v1/artifact_pb";
import { RunService } from "../../src/gen/flightcontrol/v1/run_pb";
import { client } from "../../../testkit/clients";
import { gitIn } from "../../../testkit/git-server";
import { ADMIN_KEY } from "../../../testkit/keys";
import { removeDir, tempDir } from "../../../testkit/temp-dir";
import { collectChunks, sha256 } from "./artifacts-support";

/**
 * Downloads an artifact over Connect, gRPC and GET /artifacts/<id>, checks that the three are the
 * same bytes with the listed size and sha256, and returns them.
 */
export async function downloadEverywhere(server: { url: string }, artifact: Artifact): Promise<Buffer> {
  const viaConnect = await collectChunks(client(RunService, server.url, ADMIN_KEY).downloadArtifact({ id: artifact.id }));
  const viaGrpc = await collectChunks(client(RunService, server.url, ADMIN_KEY, "grpc").downloadArtifact({ id: artifact.id }));
  const res = await fetch(`${server.url}/artifacts/${artifact.id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(res.status, `GET /artifacts/${artifact.id}`).toBe(200);
  const viaHttp = Buffer.from(await res.arrayBuffer());
  for (const [how, bytes] of [
    ["Connect", viaConnect],
    ["gRPC", viaGrpc],
    ["HTTP GET", viaHttp],
  ] as const) {
    expect(sha256(bytes), `${artifact.name} over ${how}`).toBe(artifact.sha256);
    expect(bytes.length, `${artifact.name} over ${how}`).toBe(Number(artifact.sizeBytes));
  }
  return viaConnect;
}

/** Git's stdout as bytes, untrimmed (gitIn trims, which would hide a diff's last line of one space). */
export const gitBytes = (cwd: string, args: string[]): Buffer =>
  execFileSync("git", args, { cwd, env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" } });

/** Applies `diff` with `git apply --binary` onto `base` checked out from `bare`; returns the resulting tree id. */
export function applyOnto(bare: string, base: string, diff: Buffer): string {
  const dir = tempDir("fc-apply-");
  try {
    const work = join(dir, "work");
    gitIn(dir, ["clone", "--quiet", "--no-checkout", bare, work]);
    gitIn(work, ["checkout", "--quiet", "--detach", base]);
    execFileSync("git", ["-C", work, "apply", "--index", "--binary", "-"], { input: diff });
    return gitIn(work, ["write-tree"]);
  } finally {
    removeDir(dir);
  }
}

/** A run's private directories (run-<first 8 of its id>-*) left in a worker's work dir. */
export const runDirsOf = (workDir: string, runId: string): string[] => readdirSync(workDir).filter((f) => f.startsWith(`run-${runId.slice(0, 8)}-`));

/**
 * Calls `see` with the argv of every process on the machine every 5 ms until stopped: what a
 * credential must never be part of. A throw from `see` (a process gone meanwhile) is ignored.
 */
export function sampleCommandLines(see: (argv: string[]) => void): { stop(): void } {
  const timer = setInterval(() => {
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        const raw = readFileSync(join("/proc", pid, "cmdline"), "utf8");
        see(raw.replace(/\0$/, "").split("\0"));
      } catch {
        // Gone already.
      }
    }
  }, 5);
  return { stop: () => clearInterval(timer) };
}
