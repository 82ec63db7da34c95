/**
 * Cancel and timeout still end a sandboxed run's whole process tree: SIGTERM reaches the agent inside
 * the sandbox (its kill grace holds), and SIGKILL of bwrap ends the PID namespace, so even a
 * descendant that left the agent's process group (setsid) dies.
 */
import { readdirSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { tempDir } from "../../../testkit/temp-dir";
import { waitFor } from "../../../testkit/wait-for";
import { bubblewrapFor, requireBubblewrap, shellRun } from "./helpers";

beforeAll(requireBubblewrap);

/** Host pids of live processes whose command line starts with `needle` (seen from outside the sandbox). */
function pidsRunning(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ");
      const state = readFileSync(`/proc/${name}/stat`, "utf8").split(") ")[1]?.[0];
      if (cmd.startsWith(needle) && state !== "Z") pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

describe("stopping a sandboxed run", () => {
  it("SIGTERM reaches the agent inside the sandbox, which uses its grace to finish", async () => {
    const workDir = tempDir("fc-sandbox-cancel-");
    const r = shellRun({
      workDir,
      sandbox: bubblewrapFor(workDir),
      killGraceMs: 10_000,
      prompt: "trap 'echo GOT-TERM; sleep 0.2; echo CLEANED-UP; exit 3' TERM; echo STARTED; while true; do sleep 0.05; done",
    });
    await waitFor(() => r.lines.includes("STARTED"), { what: "the agent to start", timeoutMs: 20_000 });
    const t0 = Date.now();
    r.run.stop("cancel");
    const report = await r.run.done;
    expect(report.status).toBe(RunStatus.CANCELLED);
    expect(r.lines).toContain("GOT-TERM");
    expect(r.lines).toContain("CLEANED-UP");
    expect(Date.now() - t0, "the agent ended by itself, long before the grace").toBeLessThan(5000);
  });

  it("cancel kills the whole tree, a descendant that escaped the process group with setsid included", async () => {
    const workDir = tempDir("fc-sandbox-tree-");
    // Distinct durations name this test's processes on the host.
    const r = shellRun({
      workDir,
      sandbox: bubblewrapFor(workDir),
      killGraceMs: 300,
      prompt: "trap '' TERM; sleep 4141.1 & setsid sleep 4141.2 & (trap '' TERM; sleep 4141.3) & echo STARTED; wait",
    });
    await waitFor(() => r.lines.includes("STARTED") && pidsRunning("sleep 4141.").length === 3, {
      what: "the agent's three sleeps",
      timeoutMs: 20_000,
    });
    r.run.stop("cancel");
    const report = await r.run.done;
    expect(report.status).toBe(RunStatus.CANCELLED);
    await waitFor(() => pidsRunning("sleep 4141.").length === 0, { what: "every sleep of the cancelled run to be gone", timeoutMs: 5000 });
  });

  it("the timeout kills it the same way", async () => {
    const workDir = tempDir("fc-sandbox-timeout-");
    const r = shellRun({ workDir, sandbox: bubblewrapFor(workDir), killGraceMs: 300, prompt: "setsid sleep 4242.1 & echo STARTED; sleep 4242.2" });
    await waitFor(() => r.lines.includes("STARTED") && pidsRunning("sleep 4242.").length === 2, { what: "the agent's sleeps", timeoutMs: 20_000 });
    r.run.stop("timeout");
    const report = await r.run.done;
    expect(report.status).toBe(RunStatus.TIMED_OUT);
    await waitFor(() => pidsRunning("sleep 4242.").length === 0, { what: "every sleep of the timed-out run to be gone", timeoutMs: 5000 });
  });
});
