import { describe, expect, it } from "vitest";
import { runProcess, type ProcessExit, type ProcessLine, type ProcessOptions } from "../../src/agents/process";
import { groupGone, processGone } from "../../../testkit/pids";
import { tempDir } from "../../../testkit/temp-dir";
import { waitFor } from "../../../testkit/wait-for";

function options(script: string, extra: Partial<ProcessOptions> = {}): ProcessOptions {
  return {
    label: "node",
    bin: process.execPath,
    args: ["-e", script],
    env: { PATH: process.env.PATH ?? "" },
    cwd: tempDir(),
    signal: new AbortController().signal,
    graceMs: 1000,
    ...extra,
  };
}

async function drain(gen: AsyncGenerator<ProcessLine, ProcessExit, void>) {
  const lines: ProcessLine[] = [];
  for (;;) {
    const next = await gen.next();
    if (next.done) return { lines, exit: next.value };
    lines.push(next.value);
  }
}

describe("runProcess", () => {
  it("yields complete lines from chunked output with CRLF, split UTF-8 and a last line without newline", async () => {
    const script = `
      const e = Buffer.from("é");
      const w = (b) => new Promise((r) => process.stdout.write(b, r));
      (async () => {
        await w("first\\r\\nsec");
        await new Promise((r) => setTimeout(r, 20));
        await w(Buffer.concat([Buffer.from("ond "), e.subarray(0, 1)]));
        await new Promise((r) => setTimeout(r, 20));
        await w(Buffer.concat([e.subarray(1), Buffer.from("\\n\\nlast")]));
        process.stderr.write("to stderr\\n");
      })();`;
    const { lines, exit } = await drain(runProcess(options(script)));
    expect(lines.filter((l) => l.stream === "stdout").map((l) => l.text)).toEqual(["first", "second é", "", "last"]);
    expect(lines.filter((l) => l.stream === "stderr").map((l) => l.text)).toEqual(["to stderr"]);
    expect(exit).toEqual({ exitCode: 0, signal: undefined });
  });

  it("reports the exit code and the signal that ended the process", async () => {
    expect((await drain(runProcess(options("process.exit(7)")))).exit).toEqual({ exitCode: 7, signal: undefined });
    const killed = await drain(runProcess(options("process.kill(process.pid, 'SIGKILL')")));
    expect(killed.exit).toEqual({ exitCode: undefined, signal: "SIGKILL" });
  });

  it("turns a missing binary or working directory into a spawn error", async () => {
    const missing = await drain(runProcess({ ...options(""), label: "goose", bin: "definitely-not-goose-xyz", binHint: "set ORCH_GOOSE_BIN" }));
    expect(missing.exit.spawnError).toBe('goose binary not found: set ORCH_GOOSE_BIN (looked for "definitely-not-goose-xyz")');
    const noDir = await drain(runProcess({ ...options(""), cwd: "/nonexistent/dir/for/test" }));
    expect(noDir.exit.spawnError).toContain("working directory does not exist");
  });

  it("pauses the pipes for a slow consumer and still delivers every line in order", async () => {
    const count = 5000;
    const states: boolean[] = [];
    const gen = runProcess(
      options(`for (let i = 0; i < ${count}; i++) process.stdout.write("line " + i + " " + "x".repeat(100) + "\\n");`, {
        highWaterLines: 16,
        onBackpressure: (paused) => states.push(paused),
      }),
    );
    const seen: number[] = [];
    for (;;) {
      const next = await gen.next();
      if (next.done) break;
      seen.push(Number(next.value.text.split(" ")[1]));
      if (seen.length % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(seen).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(states).toContain(true);
    expect(states.at(-1)).toBe(false);
  });

  it("kills children the leader left behind once it exits", async () => {
    const script = `
      const c = require("child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "inherit" });
      console.log("child " + c.pid + " group " + process.pid);
      c.unref();`;
    const { lines, exit } = await drain(runProcess(options(script)));
    expect(exit.exitCode).toBe(0);
    const [, child, , group] = lines[0]!.text.split(" ");
    await waitFor(() => groupGone(Number(group)), { timeoutMs: 10_000, what: "process group to vanish" });
    expect(processGone(Number(child))).toBe(true);
  });

  it("kills the group when the consumer stops early", async () => {
    const script = `
      require("child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "inherit" });
      console.log("group " + process.pid);
      setInterval(() => {}, 1000);`;
    const gen = runProcess(options(script));
    const first = await gen.next();
    expect(first.done).toBe(false);
    const group = Number((first.value as ProcessLine).text.split(" ")[1]);
    await gen.return({});
    await waitFor(() => groupGone(group), { timeoutMs: 10_000, what: "process group to vanish" });
  });

  it("on abort sends SIGTERM to the group and lets a cooperative process exit", async () => {
    const abort = new AbortController();
    const gen = runProcess(options(`console.log("ready"); setInterval(() => {}, 1000);`, { signal: abort.signal, graceMs: 30_000 }));
    expect((await gen.next()).value).toEqual({ stream: "stdout", text: "ready" });
    abort.abort();
    const { exit } = await drain(gen);
    expect(exit).toEqual({ exitCode: undefined, signal: "SIGTERM" });
  });
});
