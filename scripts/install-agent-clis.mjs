// Installs the real Claude Code and Codex CLIs, at the versions pinned in agent-clis.json, into a
// directory of their own and reuses it while it holds those versions. Together they weigh about
// 800 MB (their Linux binaries come as npm optional dependencies), so they are no dependency of
// ours: `npm ci` never pulls them; the real-CLI tests (server/test/real-cli/) and the worker image
// use this script. Plain Node with no dependencies.
//
//   node scripts/install-agent-clis.mjs                 install into agentCliDir() unless present
//   node scripts/install-agent-clis.mjs --prefix DIR    install into DIR (the worker image)
//   node scripts/install-agent-clis.mjs --print-dir     print agentCliDir() and exit
//
// ORCH_TEST_AGENT_CLI_DIR overrides the directory.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

/** agent name → { package, version, bin }. */
export const AGENT_CLIS = JSON.parse(readFileSync(join(HERE, "agent-clis.json"), "utf8"));

const versionsTag = () =>
  Object.entries(AGENT_CLIS)
    .map(([agent, cli]) => `${agent}-${cli.version}`)
    .join("_");

/**
 * The cache directory for the pinned versions. As root it is under /var/cache rather than root's
 * home: the real-CLI tests run the worker as an unprivileged user (Claude Code refuses to bypass
 * permissions as root), which must be able to read the CLIs, and /root is private.
 */
export function agentCliDir(env = process.env) {
  if (env.ORCH_TEST_AGENT_CLI_DIR) return resolve(env.ORCH_TEST_AGENT_CLI_DIR);
  const base =
    process.getuid?.() === 0
      ? "/var/cache/flightcontrol/agent-clis"
      : join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "flightcontrol/agent-clis");
  return join(base, versionsTag());
}

/** agent name → path of its command in an install directory. */
export function agentCliBins(dir = agentCliDir()) {
  return Object.fromEntries(Object.entries(AGENT_CLIS).map(([agent, cli]) => [agent, join(dir, "node_modules/.bin", cli.bin)]));
}

/** Why `dir` is not a usable install of the pinned versions, or undefined when it is. */
export function installProblem(dir = agentCliDir()) {
  for (const [agent, bin] of Object.entries(agentCliBins(dir))) {
    const want = AGENT_CLIS[agent].version;
    if (!existsSync(bin)) return `${bin} is missing`;
    let out;
    try {
      out = execFileSync(bin, ["--version"], { encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      return `${bin} --version failed: ${
        String(err.stderr || err.message)
          .trim()
          .split("\n")[0]
      }`;
    }
    // A missing platform package leaves Claude Code's placeholder or codex's "missing optional
    // dependency" error instead of a version.
    if (!out.includes(want)) return `${bin} --version printed "${out.trim()}", not ${want}`;
  }
  return undefined;
}

/** npm installs into a sibling directory first, renamed into place when complete: concurrent installs cannot see half of one. */
export function installAgentClis(dir = agentCliDir(), log = (msg) => console.error(msg)) {
  const problem = installProblem(dir);
  if (problem === undefined) {
    log(`[agent-clis] ${dir} already holds ${versionsTag()}`);
    return dir;
  }
  log(`[agent-clis] ${problem}: installing ${versionsTag()} into ${dir}`);
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const dependencies = Object.fromEntries(Object.values(AGENT_CLIS).map((cli) => [cli.package, cli.version]));
  writeFileSync(join(staging, "package.json"), `${JSON.stringify({ private: true, dependencies }, null, 2)}\n`);
  // Optional dependencies carry the platform binaries: never omit them. Claude Code's postinstall
  // copies its binary over the placeholder bin/claude.exe.
  execFileSync("npm", ["install", "--prefix", staging, "--include=optional", "--no-audit", "--no-fund", "--loglevel=error"], { stdio: "inherit" });
  const staged = installProblem(staging);
  if (staged !== undefined) throw new Error(`installed, but ${staged}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  renameSync(staging, dir);
  log(`[agent-clis] installed: ${Object.values(agentCliBins(dir)).join(", ")}`);
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === "--print-dir") {
    console.log(agentCliDir());
  } else {
    const i = args.indexOf("--prefix");
    try {
      installAgentClis(i >= 0 ? resolve(args[i + 1]) : agentCliDir());
    } catch (err) {
      console.error(`[agent-clis] ${err.message}`);
      process.exit(1);
    }
  }
}
