// `npm start` on a fresh clone: it generates the stubs, builds the dashboard, starts the server and two
// workers, and Ctrl-C stops all of it with exit code 0 and no process left behind.
//
// The clone is of the committed HEAD (uncommitted work is not in it). To keep the test to a minute or
// two it reuses this checkout's node_modules as hard links when both checkouts have the same
// package-lock.json — as if `npm ci` had just run in the clone; everything after that (stub generation,
// UI build, keys, server, workers) really happens in the clone.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../../testkit/free-port";
import { REPO } from "../../../testkit/paths";
import { waitFor } from "../../../testkit/wait-for";

const tmp = mkdtempSync(join(tmpdir(), "fc-start-"));
const clone = join(tmp, "flight-control");
let npm: ChildProcess | undefined;

/** Processes whose command line or working directory is inside dir (what `ps` shows, read from /proc). */
function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let cmd = "";
    let cwd = "";
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // Gone meanwhile, or a zombie.
    }
    if (cmd.includes(dir) || cwd === dir || cwd.startsWith(`${dir}/`)) found.push(`${pid} (cwd ${cwd}) ${cmd.slice(0, 200)}`);
  }
  return found;
}

afterAll(async () => {
  // Only if the test failed half-way: kill what it started, then remove the clone.
  if (npm && npm.exitCode === null && npm.signalCode === null) {
    try {
      process.kill(-npm.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  for (const line of processesIn(clone)) {
    try {
      process.kill(Number(line.split(" ")[0]), "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

/** Hard-links a directory tree (copies across filesystems); symlinks stay symlinks. */
function linkTree(src: string, dst: string, skip: (name: string) => boolean = () => false): void {
  mkdirSync(dst, { recursive: true });
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    if (skip(entry.name)) continue;
    const from = join(src, entry.name);
    const to = join(dst, entry.name);
    if (entry.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (entry.isDirectory()) linkTree(from, to);
    else {
      try {
        linkSync(from, to);
      } catch {
        copyFileSync(from, to);
      }
    }
  }
}

/** Gives the clone this checkout's installed packages when they match its package-lock.json. */
function reuseNodeModules(): boolean {
  const lock = join(REPO, "package-lock.json");
  const hidden = join(REPO, "node_modules/.package-lock.json");
  const installed = existsSync(hidden) && statSync(hidden).mtimeMs >= statSync(lock).mtimeMs;
  if (!installed || !readFileSync(lock).equals(readFileSync(join(clone, "package-lock.json")))) return false;
  const caches = (name: string) => name.startsWith(".vite") || name === ".cache";
  linkTree(join(REPO, "node_modules"), join(clone, "node_modules"), caches);
  for (const workspace of ["server", "worker", "ui"]) {
    const nm = join(REPO, workspace, "node_modules");
    if (existsSync(nm)) linkTree(nm, join(clone, workspace, "node_modules"), caches);
  }
  // npm writes this file last in an install; a fresh copy (not a link into this checkout) dated now.
  unlinkSync(join(clone, "node_modules/.package-lock.json"));
  copyFileSync(hidden, join(clone, "node_modules/.package-lock.json"));
  return true;
}

/** The environment a person's shell would have: nothing from the npm/vitest run around this test. */
function cleanEnv(port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|ORCH_)/i.test(k) || ["NODE_ENV", "NODE_OPTIONS", "INIT_CWD", "TEST", "FORCE_COLOR"].includes(k)) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((p) => !p.includes(`node_modules${"/"}.bin`))
    .join(delimiter);
  env.NO_COLOR = "1";
  env.ORCH_PORT = String(port);
  return env;
}

/** A Connect unary call with JSON, the way curl would make it. */
async function call<T>(url: string, method: string, key: string, body: unknown): Promise<T> {
  const res = await fetch(`${url}/flightcontrol.v1.${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json as T;
}

interface Started {
  child: ChildProcess;
  url: string;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readyMs: number;
}

/** `npm start` in the clone, in its own process group like a shell's foreground job; resolves once ready. */
async function npmStart(): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn("npm", ["start"], { cwd: clone, env: cleanEnv(port), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  npm = child;
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal })),
  );
  const t0 = Date.now();
  await waitFor(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error("npm start exited early");
      return (
        /Admin key:/.test(out) &&
        (await fetch(`${url}/readyz`).then(
          (r) => r.ok,
          () => false,
        ))
      );
    },
    { timeoutMs: 240_000, intervalMs: 100, what: "npm start to be ready" },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; its output:\n${out}`);
  });
  return { child, url, port, output: () => out, exited, readyMs: Date.now() - t0 };
}

/** Signals npm start, expects exit code 0 with the workers drained first, and nothing of the clone left running. */
async function stopCleanly(started: Started, signal: () => void): Promise<number> {
  const t0 = Date.now();
  signal();
  const result = await started.exited;
  const out = started.output();
  expect(result, out).toEqual({ code: 0, signal: null });
  // The workers drained before the server was asked to stop.
  expect(out.lastIndexOf("drained"), out).toBeGreaterThan(-1);
  expect(out.lastIndexOf("drained"), out).toBeLessThan(out.lastIndexOf("shutting down"));
  // A process may still be finishing its exit as npm returns; none may stay.
  await waitFor(() => processesIn(clone).length === 0, { timeoutMs: 3000, intervalMs: 50, what: "no process of the clone" }).catch(() =>
    expect(processesIn(clone)).toEqual([]),
  );
  return Date.now() - t0;
}

describe.skipIf(!existsSync(join(REPO, ".git")))("npm start on a fresh clone", () => {
  it("installs what is missing, serves the dashboard, runs a shell run on a local worker, and stops cleanly on Ctrl-C", async () => {
    execFileSync("git", ["clone", "-q", REPO, clone], { stdio: "pipe" });
    const reused = reuseNodeModules();
    if (!reused) console.warn("package-lock.json differs from the installed one: the clone runs a real npm ci");
    expect(existsSync(join(clone, "server/src/gen"))).toBe(false);
    expect(existsSync(join(clone, "ui/dist"))).toBe(false);

    const first = await npmStart();
    const out = first.output();
    expect(out).toContain("running npm run generate");
    expect(out).toContain("running npm run build -w ui");
    if (reused) expect(out).not.toContain("running npm ci");
    expect(out).toContain(`Dashboard:  http://localhost:${first.port}/`);
    expect(existsSync(join(clone, "server/src/gen/flightcontrol/v1/run_pb.ts"))).toBe(true);
    expect(existsSync(join(clone, "ui/dist/index.html"))).toBe(true);
    expect(statSync(join(clone, "data/dev-keys.json")).mode & 0o777).toBe(0o600);
    const page = await fetch(`${first.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);

    const adminKey = /Admin key:\s+(\S+)/.exec(out)![1];
    const me = await call<{ apiKey: { role: string } }>(first.url, "ApiKeyService/WhoAmI", adminKey, {});
    expect(me.apiKey.role).toBe("ROLE_ADMIN");

    const { run } = await call<{ run: { id: string } }>(first.url, "RunService/CreateRun", adminKey, {
      spec: { agent: "shell", prompt: "echo hello" },
    });
    const done = await waitFor(
      async () => {
        const { run: r } = await call<{ run: { finishTime?: string; status: string; workerName: string } }>(
          first.url,
          "RunService/GetRun",
          adminKey,
          { id: run.id },
        );
        return r.finishTime ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: "the shell run to finish" },
    );
    expect(done.status).toBe("RUN_STATUS_SUCCEEDED");
    expect(["local-1", "local-2"]).toContain(done.workerName);
    const logs = await call<{ items?: unknown[] }>(first.url, "RunService/ListRunLogs", adminKey, { runId: run.id });
    expect(JSON.stringify(logs.items)).toContain("hello");

    // The scan in stopCleanly sees npm, start.mjs, the server and both workers while they run.
    expect(processesIn(clone).length).toBeGreaterThanOrEqual(4);
    // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
    const firstStopMs = await stopCleanly(first, () => process.kill(-first.child.pid!, "SIGINT"));

    // A second start has nothing to install or build and prints the same admin key; SIGINT to npm alone
    // (as `kill -INT <pid>` would send) stops it as cleanly.
    const second = await npmStart();
    const out2 = second.output();
    expect(out2).not.toMatch(/running npm|generated an admin key/);
    expect(/Admin key:\s+(\S+)/.exec(out2)![1]).toBe(adminKey);
    await waitFor(
      async () => {
        const { workers } = await call<{ workers?: Array<{ state: string; name: string }> }>(second.url, "WorkerService/ListWorkers", adminKey, {});
        const online = (workers ?? []).filter((w) => w.state === "WORKER_STATE_ONLINE").map((w) => w.name);
        return online.includes("local-1") && online.includes("local-2");
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "local-1 and local-2 to connect again" },
    );
    const secondStopMs = await stopCleanly(second, () => second.child.kill("SIGINT"));

    console.log(
      `npm start: first ready in ${first.readyMs} ms (node_modules ${reused ? "reused" : "installed"}), stopped in ${firstStopMs} ms; ` +
        `second ready in ${second.readyMs} ms, stopped in ${secondStopMs} ms`,
    );
  }, 300_000);
});
