import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { createShellAgent } from "../src/agents/shell";
import { RunStatus } from "../src/gen/flightcontrol/v1/run_pb";
import { AssignSchema } from "../src/gen/flightcontrol/v1/worker_pb";
import type { RunLog } from "../src/run-log";
import { startRun } from "../src/runner";
import { tempDir } from "../../testkit/temp-dir";

const LONG = `tok-${"0123456789abcdef".repeat(200)}`;

/** Runs a shell command with LONG in its environment; returns the report and every logged line. */
async function shellRun(prompt: string) {
  const lines: string[] = [];
  const log = { log: (_stream: unknown, text: string) => lines.push(text), event: () => {} } as unknown as RunLog;
  const assign = create(AssignSchema, {
    runId: "00000000-0000-4000-8000-0000000000a1",
    attempt: 1,
    firstSeq: 1n,
    spec: { agent: "shell", prompt, timeoutSeconds: 30 },
    env: { LONG },
  });
  const agents = new Map([["shell", createShellAgent({ baseEnv: { PATH: process.env.PATH ?? "" } })]]);
  const report = await startRun(assign, log, { agents, workDir: tempDir("fc-masking-runner-"), workerName: "w-test", killGraceMs: 1000 }).done;
  return { report, lines };
}

describe("the runner's report", () => {
  it("quotes a long secret from stderr in the error masked whole, not cut first and then missed", async () => {
    const { report, lines } = await shellRun('echo "failed with $LONG" >&2; exit 1');
    expect(report).toMatchObject({ status: RunStatus.FAILED, error: "shell exited with code 1: failed with ***" });
    expect(lines).toContain("failed with ***");
    expect(lines.at(-1)).toBe("Run failed (exit code 1): shell exited with code 1: failed with ***");
  });

  it("masks the result, in the value's forms too", async () => {
    const { report } = await shellRun('printf "%s" "$LONG" | base64 -w0; echo');
    expect(report.status).toBe(RunStatus.SUCCEEDED);
    expect(report.result).toMatch(/^[A-Za-z0-9+/=]{0,3}\*\*\*[A-Za-z0-9+/=]{0,3}$/);
  });
});
