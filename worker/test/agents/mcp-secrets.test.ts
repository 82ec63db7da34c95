/**
 * MCP env and header values are secrets: each agent gets them through its environment or a private
 * file, never its command line (world-readable in /proc/<pid>/cmdline), and the fake CLIs, which
 * read them where the real ones do, report a digest of every value they would hand their servers.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createClaudeCodeAgent } from "../../src/agents/claude-code";
import { createCodexAgent } from "../../src/agents/codex";
import { createGooseAgent } from "../../src/agents/goose";
import { mcpSecretValues } from "../../src/agents/mcp-files";
import type { Agent } from "../../src/agents/types";
import { context, dumpedArgs, logs, runAgent, spec } from "./helpers";
import { FAKE_CLAUDE, FAKE_CODEX, FAKE_GOOSE } from "../../../testkit/paths";

const TOKEN = "ghp_mcpSECRET0123456789abcdef";
const DB_URL = "postgres://app:pa55 word@db/app";
const API_KEY = "x-key-SECRET-9876543210";
const sha = (v: string) => createHash("sha256").update(v).digest("hex");

const extensions = [
  { name: "db", transport: { case: "stdio" as const, value: { command: "npx", args: ["-y", "db-mcp"], env: { DB_URL, GITHUB_TOKEN: TOKEN } } } },
  {
    name: "remote",
    transport: {
      case: "streamableHttp" as const,
      value: { url: "http://localhost:9/mcp", headers: { Authorization: `Bearer ${TOKEN}`, "X-Api-Key": API_KEY } },
    },
  },
];
const expected = [
  `mcp db env DB_URL sha256=${sha(DB_URL)}`,
  `mcp db env GITHUB_TOKEN sha256=${sha(TOKEN)}`,
  `mcp remote header Authorization sha256=${sha(`Bearer ${TOKEN}`)}`,
  `mcp remote header X-Api-Key sha256=${sha(API_KEY)}`,
];
const baseEnv = { ...process.env };

const agents: Array<[string, Agent]> = [
  ["goose", createGooseAgent({ bin: FAKE_GOOSE, baseEnv })],
  ["claude-code", createClaudeCodeAgent({ bin: FAKE_CLAUDE, baseEnv })],
  ["codex", createCodexAgent({ bin: FAKE_CODEX, baseEnv })],
];

/** Every file under dir, recursively. */
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));

describe.each(agents)("%s with MCP secrets", (name, agent) => {
  it("gets every value, none of them on its command line, and any file holding them is private", async () => {
    const ctx = context(spec({ agent: name, prompt: "mcp_digest dump_args", extensions }));
    const { outputs, outcome } = await runAgent(agent, ctx);
    expect(outcome, JSON.stringify(logs(outputs))).toMatchObject({ ok: true });
    const reported = logs(outputs)
      .filter((l) => l.startsWith("mcp "))
      .sort();
    expect(reported).toEqual(expected);
    const argv = dumpedArgs(outputs).join("\n");
    for (const secret of [TOKEN, DB_URL, API_KEY, "pa55"]) expect(argv).not.toContain(secret);
    for (const file of files(ctx.workDir)) {
      if (!readFileSync(file, "utf8").includes(TOKEN)) continue;
      expect(statSync(file).mode & 0o077, `${file} is readable by others`).toBe(0);
    }
  });
});

describe("codex's MCP env", () => {
  it("refuses two extensions that give one variable different values (codex copies env by name)", async () => {
    const ctx = context(
      spec({
        agent: "codex",
        prompt: "p",
        extensions: ["a", "b"].map((n) => ({ name: n, transport: { case: "stdio" as const, value: { command: "srv", env: { K: `value-${n}` } } } })),
      }),
    );
    const { outcome } = await runAgent(agents[2][1], ctx);
    expect(outcome).toMatchObject({
      ok: false,
      error: expect.stringContaining("extension b: codex passes MCP env through its own environment, where extension a gives K another value"),
    });
  });
});

describe("mcpSecretValues", () => {
  it("lists every env and header value, and the long words of a header like Bearer <token>", () => {
    expect(mcpSecretValues(spec({ prompt: "p", extensions })).sort()).toEqual(
      [API_KEY, `Bearer ${TOKEN}`, DB_URL, TOKEN, TOKEN, "postgres://app:pa55", "word@db/app"].sort(),
    );
  });
});
