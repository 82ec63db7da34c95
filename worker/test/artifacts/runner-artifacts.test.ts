import { create } from "@bufbuild/protobuf";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createShellAgent } from "../../src/agents/shell";
import { RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { AssignSchema } from "../../src/gen/flightcontrol/v1/worker_pb";
import type { RunLog } from "../../src/run-log";
import { startRun, type StopReason } from "../../src/runner";
import { tempDir } from "../../../testkit/temp-dir";
import { waitFor } from "../../../testkit/wait-for";

/** A shell run with artifact_paths, its log lines collected. */
function shellRun(prompt: string, artifactPaths: string[], opts: { maxFileBytes?: number; maxRunBytes?: number } = {}) {
  const lines: string[] = [];
  const log = { log: (_stream: unknown, text: string) => lines.push(text), event: () => {} } as unknown as RunLog;
  const assign = create(AssignSchema, {
    runId: "00000000-0000-4000-8000-0000000000a1",
    attempt: 1,
    firstSeq: 1n,
    spec: { agent: "shell", prompt, timeoutSeconds: 60, artifactPaths },
    env: { TOKEN: "tok-abcdef123456" },
  });
  const workDir = tempDir("fc-runner-artifacts-");
  const run = startRun(assign, log, {
    agents: new Map([["shell", createShellAgent({ baseEnv: { PATH: process.env.PATH ?? "" } })]]),
    workDir,
    workerName: "w-test",
    killGraceMs: 1000,
    artifactLimits: { maxFileBytes: opts.maxFileBytes ?? 1 << 20, maxRunBytes: opts.maxRunBytes ?? 1 << 22 },
  });
  return { run, lines, workDir };
}

describe("the runner keeps artifacts", () => {
  it("collects matches before the workspace is removed, masked, and stages them outside it", async () => {
    const { run, lines, workDir } = shellRun('mkdir out && echo "t=$TOKEN" > out/t.txt && head -c 50 /dev/zero > out/big.bin', ["out/*"], {
      maxFileBytes: 30,
    });
    const report = await run.done;
    expect(report.status).toBe(RunStatus.SUCCEEDED);
    expect(report.artifacts.map((a) => a.name)).toEqual(["out/t.txt"]);
    const staged = report.artifacts[0];
    expect(staged.path.startsWith(join(workDir, "artifacts", "00000000-0000-4000-8000-0000000000a1"))).toBe(true);
    expect(readFileSync(staged.path, "utf8")).toBe("t=***\n");
    expect(lines).toContain("Artifact out/big.bin skipped: 50 bytes is over the per-file limit of 30 bytes (ORCH_ARTIFACT_MAX_FILE_BYTES)");
    expect(lines).toContain("Keeping 1 artifact: out/t.txt");
    // The finish line stays the last one.
    expect(lines.at(-1)).toBe("Run succeeded (exit code 0)");
  });

  it("keeps artifacts of a failed run too, and none without artifact_paths", async () => {
    const failed = await shellRun("echo partial > log.txt; exit 3", ["*.txt"]).run.done;
    expect(failed.status).toBe(RunStatus.FAILED);
    expect(failed.artifacts.map((a) => a.name)).toEqual(["log.txt"]);
    const none = await shellRun("echo x > a.txt", []).run.done;
    expect(none.artifacts).toEqual([]);
  });

  it.each<StopReason>(["abandon", "fence"])("collects nothing from a run stopped by %s", async (reason) => {
    const { run, lines, workDir } = shellRun("echo x > a.txt; echo started; sleep 30", ["*.txt"]);
    await waitFor(() => lines.includes("started"), { what: "the agent to start" });
    run.stop(reason, { graceMs: 100 });
    const report = await run.done;
    expect(report.artifacts).toEqual([]);
    expect(existsSync(join(workDir, "artifacts"))).toBe(false);
  });

  it("leaves nothing staged when the run is taken away while its artifacts are being collected", async () => {
    // Enough files that the collection is still copying when the stop arrives.
    const { run, workDir } = shellRun("mkdir out && for i in $(seq 600); do echo $i > out/f$i.txt; done", ["out/*"], {
      maxRunBytes: 1 << 30,
    });
    const stage = join(workDir, "artifacts", "00000000-0000-4000-8000-0000000000a1");
    await waitFor(() => existsSync(stage), { what: "the collection to stage a first file", intervalMs: 5 });
    // As the worker does on Cancel(abandon): stop the run, forget it, remove its staging folder.
    run.stop("abandon");
    rmSync(stage, { recursive: true, force: true });
    const report = await run.done;
    expect(report.artifacts).toEqual([]);
    expect(existsSync(stage)).toBe(false);
  });
});
