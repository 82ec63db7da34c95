import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { runProcess, type ProcessOptions } from "../src/agents/process";
import { reapOrphans, startTime, withGroupRecords } from "../src/orphans";
import { tempDir } from "../../testkit/temp-dir";
import { waitFor } from "../../testkit/wait-for";

const SRC = fileURLToPath(new URL("../src", import.meta.url));

/** Live (non-zombie) members of a process group, from /proc: zombies of reparented orphans may never be reaped here. */
function liveMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const rest = readFileSync(`/proc/${name}/stat`, "utf8").split(") ")[1]!.split(" ");
      if (rest[0] !== "Z" && Number(rest[2]) === pgid) pids.push(Number(name));
    } catch {
      // Exited while we looked.
    }
  }
  return pids;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
const killGroupLater = (pgid: number) =>
  cleanups.push(() => {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // Already gone.
    }
  });

// An agent that starts a grandchild in its own group and one that escapes it (setsid, as daemons
// do), says so, and then runs until killed.
const AGENT = `
  const { spawn } = require("child_process");
  const c = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  const d = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore", detached: true });
  console.log("agent " + process.pid + " child " + c.pid + " escaped " + d.pid);
  setInterval(() => {}, 1000);`;
const STARTED = /agent (\d+) child (\d+) escaped (\d+)/;

function agentOptions(cwd: string): ProcessOptions {
  return {
    label: "node",
    bin: process.execPath,
    args: ["-e", AGENT],
    env: { PATH: process.env.PATH ?? "" },
    cwd,
    signal: new AbortController().signal,
    graceMs: 1000,
  };
}

describe("orphaned agent process groups", () => {
  /** Starts a stand-in worker that runs one agent as the runner does, and waits for the agent's pids. */
  async function workerWithAgent(workDir: string) {
    // A stand-in worker process: runs one agent the way the runner does, then gets SIGKILLed.
    const script = `
      import { runProcess } from ${JSON.stringify(join(SRC, "agents/process.ts"))};
      import { withGroupRecords } from ${JSON.stringify(join(SRC, "orphans.ts"))};
      const opts = ${JSON.stringify(agentOptions(workDir))};
      await withGroupRecords(${JSON.stringify(workDir)}, "run-1", async () => {
        const gen = runProcess({ ...opts, signal: new AbortController().signal });
        for (let n = await gen.next(); !n.done; n = await gen.next()) console.log(n.value.text);
      });`;
    const worker = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    worker.stdout.on("data", (d) => (out += d));
    await waitFor(() => STARTED.test(out), { timeoutMs: 20_000, what: "the agent to start" });
    const [, agent, child, escaped] = STARTED.exec(out)!.map(Number) as [number, number, number, number];
    killGroupLater(agent);
    killGroupLater(escaped);
    const kill = async () => {
      const exited = new Promise((r) => worker.once("exit", r));
      worker.kill("SIGKILL");
      await exited;
    };
    return { worker, agent, child, escaped, kill };
  }

  it("a worker started in the same work dir kills what a SIGKILLed worker left running", async () => {
    const workDir = tempDir("fc-orphans-");
    const { worker, agent, child, escaped, kill } = await workerWithAgent(workDir);
    expect(readdirSync(join(workDir, "pgids"))).toEqual([String(agent)]);
    expect(JSON.parse(readFileSync(join(workDir, "pgids", String(agent)), "utf8"))).toMatchObject({
      pgid: agent,
      runId: "run-1",
      worker: { pid: worker.pid },
    });

    await kill();
    // The problem being fixed: nothing else kills them.
    expect(liveMembers(agent).sort()).toEqual([agent, child].sort());
    expect(liveMembers(escaped)).toEqual([escaped]);

    // The group from its record; the escaped process by its environment marker.
    expect(reapOrphans(workDir)).toEqual([
      { kind: "group", id: agent, runId: "run-1", killed: true },
      { kind: "process", id: escaped, runId: "run-1", killed: true },
    ]);
    await waitFor(() => liveMembers(agent).length + liveMembers(escaped).length === 0, { timeoutMs: 10_000, what: "the orphans to die" });
    expect(readdirSync(join(workDir, "pgids"))).toEqual([]);
    expect(reapOrphans(workDir)).toEqual([]);
  });

  it("finds an agent whose group was never recorded (worker killed between spawn and record) by its marker", async () => {
    const workDir = tempDir("fc-orphans-");
    const { agent, child, escaped, kill } = await workerWithAgent(workDir);
    rmSync(join(workDir, "pgids"), { recursive: true });
    await kill();
    const reaped = reapOrphans(workDir);
    expect(reaped.map((r) => [r.kind, r.id, r.killed]).sort()).toEqual(
      [
        ["process", agent, true],
        ["process", child, true],
        ["process", escaped, true],
      ].sort(),
    );
    await waitFor(() => liveMembers(agent).length + liveMembers(escaped).length === 0, { timeoutMs: 10_000, what: "the orphans to die" });
  });

  it("leaves the marked agents of a live worker alone", async () => {
    const workDir = tempDir("fc-orphans-");
    const { agent, escaped, kill } = await workerWithAgent(workDir);
    rmSync(join(workDir, "pgids"), { recursive: true });
    expect(reapOrphans(workDir)).toEqual([]);
    expect(liveMembers(agent).length).toBe(2);
    expect(liveMembers(escaped)).toEqual([escaped]);
    await kill();
  });

  it("records a group only while it runs", async () => {
    const workDir = tempDir("fc-orphans-");
    await withGroupRecords(workDir, "run-2", async () => {
      const gen = runProcess(agentOptions(workDir));
      const [, agent, , escaped] = STARTED.exec(((await gen.next()).value as { text: string }).text)!.map(Number) as [number, number, number, number];
      killGroupLater(agent);
      killGroupLater(escaped);
      expect(readdirSync(join(workDir, "pgids"))).toEqual([String(agent)]);
      await gen.return({});
      expect(readdirSync(join(workDir, "pgids"))).toEqual([]);
    });
    // Outside a run's scope nothing is recorded (e.g. agents used directly by tests).
    const gen = runProcess(agentOptions(workDir));
    const [, agent, , escaped] = STARTED.exec(((await gen.next()).value as { text: string }).text)!.map(Number) as [number, number, number, number];
    killGroupLater(agent);
    killGroupLater(escaped);
    expect(readdirSync(join(workDir, "pgids"))).toEqual([]);
    await gen.return({});
  });

  it("leaves a live worker's groups alone and never kills a pid that now belongs to another process", async () => {
    const workDir = tempDir("fc-orphans-");
    const dir = join(workDir, "pgids");
    mkdirSync(dir);
    const bystander = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { detached: true, stdio: "ignore" });
    killGroupLater(bystander.pid!);
    await waitFor(() => startTime(bystander.pid!) !== undefined, { timeoutMs: 5000, what: "the bystander to start" });
    // Recorded by this (live) process: not an orphan.
    writeFileSync(
      join(dir, "1"),
      JSON.stringify({ pgid: bystander.pid, runId: "mine", worker: { pid: process.pid, start: startTime(process.pid) } }),
    );
    // Recorded by a dead worker, but the pid is now a different process (another start time).
    writeFileSync(join(dir, "2"), JSON.stringify({ pgid: bystander.pid, runId: "reused", leaderStart: "1", worker: { pid: 4_000_000, start: "1" } }));
    writeFileSync(join(dir, "3"), "{torn");

    expect(reapOrphans(workDir)).toEqual([{ kind: "group", id: bystander.pid, runId: "reused", killed: false }]);
    expect(liveMembers(bystander.pid!)).toEqual([bystander.pid]);
    expect(readdirSync(dir)).toEqual(["1"]);
    expect(existsSync(join(dir, "3"))).toBe(false);
  });
});
