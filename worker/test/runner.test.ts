import { create } from "@bufbuild/protobuf";
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createGooseAgent } from "../src/agents/goose";
import { RunStatus } from "../src/gen/flightcontrol/v1/run_pb";
import { AssignSchema } from "../src/gen/flightcontrol/v1/worker_pb";
import type { RunLog } from "../src/run-log";
import { startRun } from "../src/runner";
import { FAKE_GOOSE } from "../../testkit/paths";
import { tempDir } from "../../testkit/temp-dir";
import { waitFor } from "../../testkit/wait-for";

/** A run of a fake goose that ignores SIGTERM, with a kill grace far longer than any test waits. */
function stubbornRun(recordDir?: string) {
  const lines: string[] = [];
  const log = { log: (_stream: unknown, text: string) => lines.push(text), event: () => {} } as unknown as RunLog;
  const assign = create(AssignSchema, {
    runId: "00000000-0000-4000-8000-0000000000f1",
    attempt: 1,
    firstSeq: 1n,
    spec: { agent: "goose", prompt: "ignore_sigterm print_env=READY sleep_ms=60000", timeoutSeconds: 120 },
    env: { READY: "yes" },
  });
  const agents = new Map([
    [
      "goose",
      createGooseAgent({ bin: FAKE_GOOSE, baseEnv: { PATH: process.env.PATH ?? "", ...(recordDir ? { FAKE_AGENT_RECORD_DIR: recordDir } : {}) } }),
    ],
  ]);
  const run = startRun(assign, log, { agents, workDir: tempDir("fc-runner-"), workerName: "w-test", killGraceMs: 60_000 });
  const started = () => waitFor(() => lines.includes("READY=***"), { timeoutMs: 10_000, what: "the agent to start" });
  return { run, lines, started };
}

describe("a fenced run", () => {
  it("is SIGKILLed after the fence's grace, not the agent's, and fails with the fence's error", async () => {
    const { run, lines, started } = stubbornRun();
    await started();
    const t0 = Date.now();
    run.stop("fence", { error: "worker w-test lost contact with the server for 1.3 s; stopped the agent", graceMs: 200 });
    const report = await run.done;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(report).toMatchObject({ status: RunStatus.FAILED, error: "worker w-test lost contact with the server for 1.3 s; stopped the agent" });
    expect(lines.at(-1)).toBe("Run failed: worker w-test lost contact with the server for 1.3 s; stopped the agent");
  });

  it("stopped before its agent started (a stale Assign), starts no agent at all", async () => {
    const recordDir = tempDir("fc-records-");
    const { run, lines } = stubbornRun(recordDir);
    run.stop("fence", { error: "refused: out of contact", graceMs: 0 });
    const report = await run.done;
    expect(report).toMatchObject({ status: RunStatus.FAILED, error: "refused: out of contact" });
    expect(lines.at(-1)).toBe("Run failed: refused: out of contact");
    expect(readdirSync(recordDir), "the fake agent recorded an execution").toEqual([]);
  });

  it("a fence during a cancel's grace cuts the grace short; the cancel still decides the outcome", async () => {
    const { run, started } = stubbornRun();
    await started();
    const t0 = Date.now();
    run.stop("cancel");
    run.stop("fence", { error: "fenced", graceMs: 100 });
    const report = await run.done;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(report).toMatchObject({ status: RunStatus.CANCELLED, error: "cancelled" });
  });
});
