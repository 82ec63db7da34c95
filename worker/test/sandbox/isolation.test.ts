/**
 * With the sandbox on, a run sees only itself: not a concurrently running run's processes
 * (/proc/<pid>/environ), workspace or temp dir, not the worker's work dir or home, and with
 * network "none" not even 127.0.0.1. Each case has a control showing the probe works.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunStatus } from "../../src/gen/flightcontrol/v1/run_pb";
import { tempDir } from "../../../testkit/temp-dir";
import { waitFor } from "../../../testkit/wait-for";
import { bubblewrapFor, requireBubblewrap, shellRun } from "./helpers";

beforeAll(requireBubblewrap);

const A_CREDENTIAL = "cred-of-run-A-0f1e2d3c4b5a69788796a5b4";
const A_WORKSPACE_SECRET = "workspace-secret-of-run-A-7c1d";
const A_TMP_SECRET = "tmp-secret-of-run-A-93be";

/**
 * Run A keeps a credential in its environment and secrets in its workspace and $TMPDIR, and waits
 * until released; returns it with the paths of its run dir.
 */
async function startRunA(workDir: string, sandboxed: boolean) {
  const sandbox = sandboxed ? bubblewrapFor(workDir) : undefined;
  const a = shellRun({
    workDir,
    sandbox,
    env: { A_TOKEN: A_CREDENTIAL },
    prompt: `echo ${A_WORKSPACE_SECRET} > secret.txt; t="\${TMPDIR:-../tmp}"; mkdir -p "$t"; echo ${A_TMP_SECRET} > "$t/secret.txt"; echo READY-A; while [ ! -e release ]; do sleep 0.05; done`,
  });
  await waitFor(() => a.lines.includes("READY-A"), { what: "run A to start", timeoutMs: 20_000 });
  const runDir = join(workDir, readdirSync(workDir).find((n) => n.startsWith("run-"))!);
  return { a, runDir, release: () => writeFileSync(join(runDir, "workspace", "release"), "") };
}

/** Everything run B can find of run A: every visible process's environment, A's files by path. */
const probeOf = (runDir: string) =>
  [
    "for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ 2>/dev/null; done",
    `cat ${runDir}/workspace/secret.txt ${runDir}/tmp/secret.txt 2>&1`,
    `ls ${runDir} 2>&1`,
    "echo PROBE-DONE",
  ].join("; ");

describe("two runs on one worker", () => {
  it("sandboxed, neither can read the other's environment, workspace or temp dir", async () => {
    const workDir = tempDir("fc-sandbox-two-");
    const { a, runDir, release } = await startRunA(workDir, true);
    const b = shellRun({ workDir, sandbox: bubblewrapFor(workDir), prompt: probeOf(runDir) });
    const reportB = await b.run.done;
    release();
    const reportA = await a.run.done;
    expect(reportB.status, b.output()).toBe(RunStatus.SUCCEEDED);
    expect(b.output()).toContain("PROBE-DONE");
    for (const secret of [A_CREDENTIAL, A_WORKSPACE_SECRET, A_TMP_SECRET]) expect(b.output()).not.toContain(secret);
    // A's secrets were really there: A ran to the end and wrote them.
    expect(reportA.status, a.output()).toBe(RunStatus.SUCCEEDED);
  });

  it("unsandboxed (the control), the same probe finds all three", async () => {
    const workDir = tempDir("fc-sandbox-control-");
    const { a, runDir, release } = await startRunA(workDir, false);
    const b = shellRun({ workDir, prompt: probeOf(runDir) });
    await b.run.done;
    release();
    await a.run.done;
    for (const secret of [A_CREDENTIAL, A_WORKSPACE_SECRET, A_TMP_SECRET]) expect(b.output()).toContain(secret);
  });

  it("sandboxed, each sees only its own processes", async () => {
    const workDir = tempDir("fc-sandbox-pids-");
    const b = shellRun({
      workDir,
      sandbox: bubblewrapFor(workDir),
      prompt: "echo PIDS $(ls /proc | grep -c '^[0-9]*$'); cat /proc/1/cmdline | tr '\\0' ' '; echo",
    });
    const report = await b.run.done;
    expect(report.status, b.output()).toBe(RunStatus.SUCCEEDED);
    // bwrap's pid 1, the shell, ls and grep: a handful, where the host has hundreds.
    const pids = Number(/PIDS (\d+)/.exec(b.output())?.[1]);
    expect(pids).toBeGreaterThan(0);
    expect(pids).toBeLessThan(8);
    expect(b.output()).toMatch(/^bwrap /m);
  });
});

describe("a sandboxed run and the worker's files", () => {
  it("cannot read the work dir (mirrors, spill files, other runs), the worker's home or a hidden path", async () => {
    const workDir = tempDir("fc-sandbox-files-");
    const home = tempDir("fc-sandbox-home-");
    const data = tempDir("fc-sandbox-data-");
    mkdirSync(join(workDir, "mirrors"));
    writeFileSync(join(workDir, "mirrors", "secret"), "WORKDIR-SECRET");
    writeFileSync(join(home, ".worker-key"), "HOME-SECRET");
    writeFileSync(join(data, "db"), "DATA-SECRET");
    const sandbox = bubblewrapFor(workDir, { extraHide: [data] }, { ...process.env, HOME: home });
    const r = shellRun({
      workDir,
      sandbox,
      prompt: `cat ${workDir}/mirrors/secret ${home}/.worker-key ${data}/db 2>&1; ls -A ${workDir}; touch /usr/x 2>&1; echo HOME=$HOME; echo DONE`,
    });
    const report = await r.run.done;
    expect(report.status, r.output()).toBe(RunStatus.SUCCEEDED);
    expect(r.output()).toContain("DONE");
    for (const secret of ["WORKDIR-SECRET", "HOME-SECRET", "DATA-SECRET"]) expect(r.output()).not.toContain(secret);
    expect(r.output()).toContain("Read-only file system");
    // Its own home is a fresh dir inside its run dir, not the worker's.
    expect(r.output()).toMatch(new RegExp(`HOME=${workDir}/run-[^/]+/home`));
  });

  it("the setup script is sandboxed too, and its work stays in the workspace for the agent", async () => {
    const workDir = tempDir("fc-sandbox-setup-");
    writeFileSync(join(workDir, "worker-file"), "WORKER-FILE-SECRET");
    const r = shellRun({
      workDir,
      sandbox: bubblewrapFor(workDir),
      setupScript: `cat ${workDir}/worker-file 2>&1; echo built > artifact.txt`,
      prompt: "cat artifact.txt",
    });
    const report = await r.run.done;
    expect(report.status, r.output()).toBe(RunStatus.SUCCEEDED);
    expect(report.result).toBe("built");
    expect(r.output()).not.toContain("WORKER-FILE-SECRET");
  });
});

describe("network", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((s) => s.end("HELLO-FROM-HOST\n"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const connect = () =>
    `node -e "require('net').connect(${port},'127.0.0.1').on('data',d=>{process.stdout.write('GOT '+d);process.exit(0)}).on('error',e=>{console.log('NETERR '+e.code);process.exit(0)})"`;

  it('"none": 127.0.0.1 of the worker cannot be reached', async () => {
    const workDir = tempDir("fc-sandbox-net-");
    const r = shellRun({ workDir, sandbox: bubblewrapFor(workDir), network: "none", prompt: connect() });
    const report = await r.run.done;
    expect(report.status, r.output()).toBe(RunStatus.SUCCEEDED);
    expect(r.output()).toContain("NETERR ECONNREFUSED");
    expect(r.output()).not.toContain("HELLO-FROM-HOST");
  });

  it('"full" (and the default): it can', async () => {
    const workDir = tempDir("fc-sandbox-net-");
    for (const network of ["full", ""]) {
      const r = shellRun({ workDir, sandbox: bubblewrapFor(workDir), network, prompt: connect() });
      const report = await r.run.done;
      expect(report.status, r.output()).toBe(RunStatus.SUCCEEDED);
      expect(r.output()).toContain("GOT HELLO-FROM-HOST");
    }
  });

  it('"none" on a worker without a sandbox fails the run instead of giving it a network', async () => {
    const workDir = tempDir("fc-sandbox-net-");
    const r = shellRun({ workDir, network: "none", prompt: connect() });
    const report = await r.run.done;
    expect(report.status).toBe(RunStatus.FAILED);
    expect(report.error).toContain('cannot run a job with network "none"');
    expect(r.output()).not.toContain("HELLO-FROM-HOST");
  });
});
