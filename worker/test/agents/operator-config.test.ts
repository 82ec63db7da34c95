// A sandboxed run's own CLAUDE_CONFIG_DIR / CODEX_HOME gets copies of the operator's settings and
// never the operator's login; an unsandboxed run keeps the operator's dir and gets nothing.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLAUDE_OPERATOR_FILES, CODEX_OPERATOR_FILES, runStateVars } from "../../src/agents/operator-config";
import { agentStateDirs } from "../../src/agents/sessions";
import { removeDir, tempDir } from "../../../testkit/temp-dir";

const dirs: string[] = [];
const dir = (prefix: string) => {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach(removeDir));

describe("the operator's agent configuration in a sandboxed run", () => {
  it("copies Claude Code's settings.json and CLAUDE.md into the run's config dir, 0600, without its login", async () => {
    const operator = dir("fc-operator-claude-");
    writeFileSync(join(operator, "settings.json"), '{"model":"m"}');
    writeFileSync(join(operator, "CLAUDE.md"), "be brief");
    writeFileSync(join(operator, ".credentials.json"), '{"claudeAiOauth":{}}');
    mkdirSync(join(operator, "projects", "-other-run"), { recursive: true });
    const runDir = dir("fc-run-");
    const target = agentStateDirs({ workDir: runDir, env: {}, sandboxed: true }).claude;
    expect(target).toBe(join(runDir, "home", ".claude"));
    const state = await runStateVars(true, "CLAUDE_CONFIG_DIR", target, operator, CLAUDE_OPERATOR_FILES);
    expect(state).toEqual({ vars: { CLAUDE_CONFIG_DIR: target } });
    expect(readdirSync(target).sort()).toEqual(["CLAUDE.md", "settings.json"]);
    expect(readFileSync(join(target, "settings.json"), "utf8")).toBe('{"model":"m"}');
    expect(statSync(join(target, "settings.json")).mode & 0o777).toBe(0o600);
  });

  it("copies Codex's config.toml, not auth.json; a missing file is fine, an unreadable one fails naming it", async () => {
    const operator = dir("fc-operator-codex-");
    writeFileSync(join(operator, "config.toml"), 'model_provider = "x"\n');
    writeFileSync(join(operator, "auth.json"), "{}");
    const runDir = dir("fc-run-");
    const target = agentStateDirs({ workDir: runDir, env: {}, sandboxed: true }).codex;
    expect(await runStateVars(true, "CODEX_HOME", target, operator, CODEX_OPERATOR_FILES)).toEqual({ vars: { CODEX_HOME: target } });
    expect(readdirSync(target)).toEqual(["config.toml"]);

    mkdirSync(join(operator, "AGENTS.md"));
    const failed = await runStateVars(true, "CODEX_HOME", join(runDir, "other"), operator, CODEX_OPERATOR_FILES);
    expect(failed).toEqual({ error: expect.stringContaining(join(operator, "AGENTS.md")) });
  });

  it("leaves an unsandboxed run with the operator's own dirs", async () => {
    const operator = dir("fc-operator-");
    expect(await runStateVars(false, "CODEX_HOME", join(operator, "unused"), operator, CODEX_OPERATOR_FILES)).toEqual({ vars: {} });
    expect(agentStateDirs({ workDir: "/run", env: { HOME: "/h", CODEX_HOME: "/c" }, sandboxed: false })).toEqual({
      claude: "/h/.claude",
      codex: "/c",
    });
  });
});
