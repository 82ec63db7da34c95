// `npm start`: everything a person needs to try Flight Control on one machine.
//   1. installs what is missing (scripts/ensure-installed.mjs) and builds the dashboard when ui/dist is
//      missing or older than its sources;
//   2. starts the server (ORCH_PORT, default 8080; SQLite in ORCH_DATA_DIR, default ./data) with an
//      admin key and a worker key that are generated once into <data dir>/dev-keys.json (mode 0600),
//      so the admin key can be printed on every start;
//   3. starts two workers, local-1 and local-2, once the server is ready, and prints the dashboard URL
//      and the admin key. Every line a child writes is prefixed with its name.
// Ctrl-C (SIGINT), SIGTERM or SIGHUP: the workers get SIGTERM and drain (finish their runs), then the
// server gets SIGTERM; exits 0 once all have exited cleanly. A second Ctrl-C stops the workers at once
// (abandoning their runs); a third, or 15 s after the second, kills whatever is left. If a child exits
// on its own, the rest are stopped the same way and the exit code is 1.
// Plain Node: this runs before tsx is installed.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import { ensureInstalled, npmCommand, ROOT, run } from "./ensure-installed.mjs";

const WORKER_NAMES = ["local-1", "local-2"];
const t0 = Date.now();
const say = (msg) => console.log(`[start] ${msg}`);

// A closed terminal must not crash us half-way through stopping the children.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);

// ---------------------------------------------------------------------------------------------------
// Setup: dependencies, stubs, dashboard.

function newestMtime(path) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Why the dashboard must be (re)built, or undefined when ui/dist is newer than everything it is built from. */
function uiBuildNeeded() {
  let built;
  try {
    built = statSync(join(ROOT, "ui/dist/index.html")).mtimeMs;
  } catch {
    return "ui/dist is missing";
  }
  const sources = ["src", "public", "index.html", "vite.config.ts", "package.json", "tsconfig.json"];
  const newest = Math.max(...sources.map((s) => newestMtime(join(ROOT, "ui", s))));
  return newest > built ? "ui/src changed since the last build" : undefined;
}

try {
  await ensureInstalled({ log: console.log });
  const why = uiBuildNeeded();
  if (why) {
    say(`${why}: running npm run build -w ui`);
    const [cmd, args] = npmCommand(["run", "build", "-w", "ui"]);
    await run(cmd, args);
  }
} catch (err) {
  if (err.signal) process.exit(err.signal === "SIGINT" ? 130 : 143);
  console.error(`[start] ${err.message}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------------
// Configuration and keys.

const env = process.env;
const dataDir = resolve(ROOT, env.ORCH_DATA_DIR || "data");
const portRaw = env.ORCH_PORT || "8080";
const configuredPort = Number(portRaw);
if (!Number.isInteger(configuredPort) || configuredPort < 0 || configuredPort > 65535) {
  console.error(`[start] ORCH_PORT must be a port number, got "${portRaw}"`);
  process.exit(1);
}
const tls = Boolean(env.ORCH_TLS_CERT && env.ORCH_TLS_KEY);
const scheme = tls ? "https" : "http";
const bindHost = env.ORCH_HOST || "0.0.0.0";
const wildcard = ["0.0.0.0", "::", "[::]"].includes(bindHost);
const bracket = (h) => (h.includes(":") && !h.startsWith("[") ? `[${h}]` : h);
/** Where we and the workers reach the server; the dashboard URL a person opens. */
const localHost = wildcard ? "127.0.0.1" : bracket(bindHost);
const shownHost = wildcard ? "localhost" : bracket(bindHost);

/** The dev keys: generated once, kept in <data dir>/dev-keys.json (mode 0600). */
function devKeys() {
  const path = join(dataDir, "dev-keys.json");
  const generated = {
    note: "Keys `npm start` passes to the server as ORCH_DEFAULT_ADMIN_KEY and ORCH_WORKER_KEY. Delete this file for new ones.",
    adminKey: `fc_${randomBytes(32).toString("base64url")}`,
    workerKey: `fc_${randomBytes(32).toString("base64url")}`,
  };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    const fd = openSync(path, "wx", 0o600);
    try {
      writeSync(fd, `${JSON.stringify(generated, null, 2)}\n`);
    } finally {
      closeSync(fd);
    }
    say(`generated an admin key and a worker key into ${relative(ROOT, path) || path}`);
    return { ...generated, path };
  } catch (err) {
    if (err.code !== "EEXIST") throw err;
  }
  const keys = JSON.parse(readFileSync(path, "utf8"));
  if (typeof keys.adminKey !== "string" || typeof keys.workerKey !== "string" || !keys.adminKey || !keys.workerKey) {
    throw new Error(`${path} has no adminKey/workerKey; delete it to generate new keys`);
  }
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  } catch {
    // Best effort: not every filesystem has modes.
  }
  return { ...keys, path };
}

let keys;
try {
  keys = devKeys();
} catch (err) {
  console.error(`[start] ${err.message}`);
  process.exit(1);
}
const adminKey = env.ORCH_DEFAULT_ADMIN_KEY || keys.adminKey;
const workerKey = env.ORCH_WORKER_KEY || keys.workerKey;

// ---------------------------------------------------------------------------------------------------
// Output: every child line prefixed with its name; JSON logs made readable on a terminal.

const tty = Boolean(process.stdout.isTTY);
const colors = (tty && !env.NO_COLOR) || Boolean(env.FORCE_COLOR && env.FORCE_COLOR !== "0");
const paint = (code, s) => (colors ? `\x1b[${code}m${s}\x1b[0m` : s);
const PREFIX_COLORS = { server: 36, "local-1": 35, "local-2": 33 };
const width = Math.max(...["server", ...WORKER_NAMES].map((n) => n.length));

/** pino-pretty for the JSON logs on a terminal: the server and the workers both log through pino. */
function prettifier() {
  if (!tty || env.ORCH_LOG_FORMAT === "json") return undefined;
  try {
    const require = createRequire(join(ROOT, "server/package.json"));
    const { prettyFactory } = require("pino-pretty");
    // The prefix already names the process.
    return prettyFactory({ colorize: colors, singleLine: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname,service,worker" });
  } catch {
    return undefined;
  }
}
const pretty = prettifier();

/** A line of a child's output as JSON, or undefined when it is not a log entry. */
function parseEntry(line) {
  if (!line.startsWith("{")) return undefined;
  try {
    const entry = JSON.parse(line);
    return entry && typeof entry === "object" ? entry : undefined;
  } catch {
    return undefined;
  }
}

function pipeLines(proc, stream, out) {
  const prefix = `${paint(PREFIX_COLORS[proc.name] ?? 0, `${proc.name.padEnd(width)} |`)} `;
  createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
    const entry = parseEntry(line);
    // The worker's documented "started" event (README, "Worker log events"): its signal handlers are in
    // place, so from now on SIGTERM drains it; before that SIGTERM simply ends it.
    if (entry?.event === "worker.started") proc.booted = true;
    const text = entry && pretty ? pretty(entry).replace(/\n$/, "") : line;
    for (const part of text.split("\n")) out.write(`${prefix + part}\n`);
  });
}

// ---------------------------------------------------------------------------------------------------
// Children.

// Each child gets its own process group, so a Ctrl-C in the terminal reaches only us and we can stop
// the workers before the server. Should we die without stopping them (SIGKILL), they notice that their
// parent changed and stop themselves the graceful way.
const orphanGuard =
  "data:text/javascript," +
  encodeURIComponent(
    "const p=process.ppid;const t=setInterval(()=>{if(process.ppid!==p){clearInterval(t);process.kill(process.pid,'SIGTERM')}},1000);t.unref();",
  );

/** name -> { name, child, exit?: {code, signal}, exited: Promise, closed: Promise, tail: string[] } */
const procs = new Map();

function startChild(name, script, childEnv) {
  const child = spawn(process.execPath, ["--import", "tsx", "--import", orphanGuard, join(ROOT, script)], {
    cwd: ROOT,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
    detached: process.platform !== "win32",
  });
  const proc = { name, child, exit: undefined, tail: [] };
  child.stdout.on("data", (d) => remember(proc, d));
  child.stderr.on("data", (d) => remember(proc, d));
  pipeLines(proc, child.stdout, process.stdout);
  pipeLines(proc, child.stderr, process.stderr);
  proc.closed = new Promise((r) => child.once("close", r));
  proc.exited = new Promise((r) => {
    child.once("error", (err) => {
      console.error(`[start] could not start ${name}: ${err.message}`);
      proc.exit ??= { code: 1, signal: null };
      r(proc.exit);
      onChildExit(proc);
    });
    child.once("exit", (code, signal) => {
      proc.exit ??= { code, signal };
      r(proc.exit);
      onChildExit(proc);
    });
  });
  procs.set(name, proc);
  return proc;
}

/** The last bit of a child's output, for hints when it fails. */
function remember(proc, chunk) {
  proc.tail.push(String(chunk));
  if (proc.tail.length > 50) proc.tail.shift();
}

const alive = (proc) => proc && !proc.exit;
/** A worker still booting when asked to stop had nothing to drain: dying by that SIGTERM is clean. */
const stoppedBeforeBoot = (proc) => proc.name !== "server" && !proc.booted && proc.exit?.signal === "SIGTERM";
const workers = () => WORKER_NAMES.map((n) => procs.get(n)).filter(Boolean);

function signalChild(proc, signal, group = false) {
  if (!alive(proc)) return;
  try {
    if (group && process.platform !== "win32") process.kill(-proc.child.pid, signal);
    else proc.child.kill(signal);
  } catch {
    // Already gone.
  }
}

// ---------------------------------------------------------------------------------------------------
// Stopping.

let level = 0; // 0 running, 1 draining, 2 stopping now, 3 killing
let failed = false;
let escalation;

function escalateAfter(ms, to) {
  clearTimeout(escalation);
  escalation = setTimeout(() => stop(to), ms);
  escalation.unref();
}

function stop(to) {
  if (to <= level) return;
  level = to;
  const server = procs.get("server");
  if (level === 1) {
    const busy = workers().filter(alive);
    if (busy.length) say(`stopping: the workers finish their runs, then the server stops (Ctrl-C again to stop now)`);
    for (const w of busy) signalChild(w, "SIGTERM");
    // The server goes once the workers are gone, so they can report their last runs (onChildExit).
    if (!busy.length) signalChild(server, "SIGTERM");
  } else if (level === 2) {
    say("stopping now: running runs are abandoned (Ctrl-C again to kill)");
    for (const w of workers()) signalChild(w, "SIGTERM"); // a second signal: the worker stops at once
    signalChild(server, "SIGTERM");
    escalateAfter(15_000, 3);
  } else {
    say("killing what is left");
    for (const proc of procs.values()) signalChild(proc, "SIGKILL", true);
  }
  maybeFinish();
}

function onChildExit(proc) {
  if (proc.handled) return; // "error" and "exit" can both come
  proc.handled = true;
  const { code, signal } = proc.exit;
  // Helpers the child started in its process group (tsx's esbuild service) go with it.
  if (process.platform !== "win32" && proc.child.pid) {
    try {
      process.kill(-proc.child.pid, "SIGTERM");
    } catch {
      // The group is already empty.
    }
  }
  const expected = level > 0;
  if (!expected) {
    failed = true;
    say(`${proc.name} exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`}); stopping the rest`);
    const text = proc.tail.join("");
    if (proc.name === "server" && /revoked or has another role/.test(text)) {
      say(`the key in ${relative(ROOT, keys.path)} was revoked in this database: delete that file for new keys`);
    }
    if (proc.name === "server" && /EADDRINUSE/.test(text)) say(`port ${configuredPort} is in use: set ORCH_PORT to another port`);
    stop(1);
    // Something is already wrong: do not wait for long runs.
    escalateAfter(30_000, 2);
  } else if (code !== 0 && !stoppedBeforeBoot(proc)) {
    say(`${proc.name} exited with ${signal ? `signal ${signal}` : `code ${code}`}`);
  }
  // Once no worker is left, the server may go.
  if (level >= 1 && !workers().some(alive)) signalChild(procs.get("server"), "SIGTERM");
  maybeFinish();
}

let finishing = false;
async function maybeFinish() {
  if (finishing || level === 0 || [...procs.values()].some(alive)) return;
  finishing = true;
  clearTimeout(escalation);
  // Let the last lines through; a grandchild holding a pipe open must not keep us waiting.
  await Promise.race([Promise.all([...procs.values()].map((p) => p.closed)), new Promise((r) => setTimeout(r, 1000))]);
  const clean = !failed && [...procs.values()].every((p) => p.exit.code === 0 || stoppedBeforeBoot(p));
  say(clean ? "stopped" : "stopped (not cleanly)");
  process.exit(clean ? 0 : 1);
}

// npm passes a Ctrl-C on to us as well as the terminal, so one keypress can arrive twice: signals
// within half a second of the one we acted on are the same request.
let lastSignal = 0;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    const now = Date.now();
    if (now - lastSignal < 500) return;
    lastSignal = now;
    stop(level + 1);
  });
}

// npm runs us as `exec node …` so that no `sh -c` stands between: npm forwards SIGINT/SIGTERM to us,
// and our exit code becomes npm's (Debian's sh, with a pending SIGINT, kills itself and then npm even
// when we exit 0). Should npm or a shell in between die anyway, we are re-parented: stop as well.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent && level === 0) {
    say("npm exited; stopping");
    stop(1);
  }
}, 1000).unref();

// Whatever happens to us, the children are not left behind.
process.on("exit", () => {
  for (const proc of procs.values()) signalChild(proc, "SIGTERM");
});

// ---------------------------------------------------------------------------------------------------
// Start.

function probe(url) {
  return new Promise((resolveProbe) => {
    const get = url.startsWith("https:") ? https.get : http.get;
    const req = get(url, { rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolveProbe(res.statusCode === 200);
    });
    req.on("error", () => resolveProbe(false));
    req.on("timeout", () => req.destroy());
  });
}

const server = startChild("server", "server/src/main.ts", {
  ...env,
  ORCH_PORT: String(configuredPort),
  ORCH_DATA_DIR: dataDir,
  ORCH_DEFAULT_ADMIN_KEY: adminKey,
  ORCH_WORKER_KEY: workerKey,
});

// With ORCH_PORT=0 the server picks a port and says which.
let port = configuredPort;
if (port === 0) {
  const rl = createInterface({ input: server.child.stdout });
  port = await new Promise((r) => {
    rl.on("line", (line) => {
      const m = /listening on \S+:(\d+)/.exec(line);
      if (m) r(Number(m[1]));
    });
    rl.on("close", () => r(0));
  });
}

const localUrl = `${scheme}://${localHost}:${port}`;
const deadline = Date.now() + 120_000;
while (level === 0 && alive(server)) {
  if (port && (await probe(`${localUrl}/readyz`))) break;
  if (Date.now() > deadline) {
    failed = true;
    say(`the server is not ready after 120 s (${localUrl}/readyz); stopping`);
    stop(2);
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}

if (level === 0 && alive(server)) {
  for (const name of WORKER_NAMES) {
    startChild(name, "worker/src/main.ts", {
      ...env,
      ORCH_SERVER_URL: localUrl,
      ORCH_API_KEY: workerKey,
      ORCH_WORKER_NAME: name,
      ...(tls && !env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: env.ORCH_TLS_CERT } : {}),
    });
  }
  const source = env.ORCH_DEFAULT_ADMIN_KEY ? "ORCH_DEFAULT_ADMIN_KEY" : relative(ROOT, keys.path);
  const rule = "─".repeat(72);
  console.log(
    [
      rule,
      `  Flight Control is running (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
      `  Dashboard:  ${paint(1, `${scheme}://${shownHost}:${port}/`)}`,
      `  Admin key:  ${paint(1, adminKey)}   (from ${source})`,
      `  Workers:    ${WORKER_NAMES.join(", ")}   Data: ${relative(ROOT, dataDir) || dataDir}`,
      `  Ctrl-C stops everything.`,
      rule,
    ].join("\n"),
  );
}
