import { execFile } from "node:child_process";
import type { Agent } from "./types";

/**
 * The oldest CLI version this worker drives, per agent, and why: an older CLI prints other events
 * or lacks a setting the adapter relies on, so its runs would fail in confusing ways (or, worse,
 * succeed wrongly). A worker refuses such a binary at start and does not offer that agent.
 * - goose 1.20.0: `goose run --output-format stream-json` (aaif-goose/goose#6228, Dec 2025).
 * - claude 2.0.0: the stream-json `system`/`init` message with `mcp_servers` status and the
 *   `result` message with `total_cost_usd`, as the parser reads them.
 * - codex 0.100.0: `mcp_servers.<name>.required` (openai/codex#10902, Feb 2026) and the thread/item
 *   `--json` events; an older codex prints another --json format.
 */
export const MINIMUM_VERSIONS: Record<string, string> = {
  goose: "1.20.0",
  "claude-code": "2.0.0",
  codex: "0.100.0",
};

export interface AgentCheck {
  agent: string;
  /** The version found; "" for an agent with no binary (shell). */
  version?: string;
  /** Why the agent is not offered, as the operator's log line says it. */
  refused?: string;
}

/** What `--version` prints, e.g. "goose 1.25.0", "2.1.197 (Claude Code)", "codex-cli 0.171.0". */
export function parseVersion(output: string): string | undefined {
  return /(\d+)\.(\d+)\.(\d+)/.exec(output)?.[0];
}

/** -1, 0 or 1 as version a is older, the same or newer than b (major.minor.patch). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0) ? -1 : 1;
  return 0;
}

/** How long a CLI may take to print its version; a real one answers in well under a second. */
const VERSION_TIMEOUT_MS = 15_000;

/**
 * Runs `<bin> --version` for an agent and decides whether this worker can offer it. `bin` is
 * undefined for agents without a CLI of their own (shell), which are always offered.
 */
export async function checkAgent(agent: string, bin: string | undefined, env: NodeJS.ProcessEnv, binHint: string): Promise<AgentCheck> {
  if (bin === undefined) return { agent, version: "" };
  let output: string;
  try {
    output = await versionOutput(bin, env);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { killed?: boolean };
    if (e.code === "ENOENT") return { agent, refused: `${agent} not offered: no "${bin}" binary found (${binHint})` };
    if (e.code === "EACCES") return { agent, refused: `${agent} not offered: "${bin}" is not executable (${binHint})` };
    return { agent, refused: `${agent} not offered: "${bin} --version" failed: ${e.killed ? "it did not answer in time" : e.message}` };
  }
  const version = parseVersion(output);
  if (version === undefined) {
    return { agent, refused: `${agent} not offered: cannot tell its version from "${bin} --version" (printed "${output.trim().slice(0, 200)}")` };
  }
  const minimum = MINIMUM_VERSIONS[agent];
  if (minimum !== undefined && compareVersions(version, minimum) < 0) {
    return {
      agent,
      refused: `${agent} not offered: "${bin}" is version ${version}, older than ${minimum}, the oldest this worker supports; upgrade it`,
    };
  }
  return { agent, version };
}

function versionOutput(bin: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, ["--version"], { env, timeout: VERSION_TIMEOUT_MS, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      if (err) reject(err);
      else resolve(`${stdout}\n${stderr}`);
    });
  });
}

/**
 * The agents this worker offers: those the operator enabled whose binaries answered `--version`
 * in a supported version, each with its version set. Every other one gets a log line saying why.
 */
export async function offeredAgents(
  agents: Map<string, Agent>,
  enabled: string[],
  bins: Record<string, { bin: string; hint: string } | undefined>,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): Promise<Map<string, Agent>> {
  const candidates = [...agents.values()].filter((a) => enabled.includes(a.name));
  const checks = await Promise.all(candidates.map((a) => checkAgent(a.name, bins[a.name]?.bin, env, bins[a.name]?.hint ?? "")));
  const offered = new Map<string, Agent>();
  for (const [i, check] of checks.entries()) {
    if (check.refused !== undefined) warn(check.refused);
    else offered.set(check.agent, { ...candidates[i], version: check.version });
  }
  return offered;
}
