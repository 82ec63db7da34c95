import { describe, expect, it } from "vitest";
import { offerAgents } from "../../src/agents";
import { compareVersions, MINIMUM_VERSIONS, parseVersion } from "../../src/agents/versions";
import { FAKE_CLAUDE, FAKE_CODEX, FAKE_GOOSE } from "../../../testkit/paths";

const bins = { gooseBin: FAKE_GOOSE, claudeBin: FAKE_CLAUDE, codexBin: FAKE_CODEX };
const ALL = ["goose", "claude-code", "codex", "shell"];

async function offer(env: NodeJS.ProcessEnv, config: Partial<typeof bins> = {}, enabled = ALL) {
  const warnings: string[] = [];
  const agents = await offerAgents({ ...bins, ...config, baseEnv: env }, enabled, (m) => warnings.push(m));
  return { versions: Object.fromEntries([...agents.values()].map((a) => [a.name, a.version])), warnings };
}

describe("agent versions at worker start (issue #15, defect 10)", () => {
  it("reads each CLI's --version output", () => {
    expect(parseVersion("goose 1.25.0\n")).toBe("1.25.0");
    expect(parseVersion("2.1.197 (Claude Code)")).toBe("2.1.197");
    expect(parseVersion("codex-cli 0.171.0")).toBe("0.171.0");
    expect(parseVersion("usage: goose run")).toBeUndefined();
    expect(compareVersions("0.99.9", "0.100.0")).toBe(-1);
    expect(compareVersions("2.0.0", "2.0.0")).toBe(0);
    expect(compareVersions("1.25.0", "1.20.0")).toBe(1);
  });

  it("offers every agent found in a supported version, with its version", async () => {
    const { versions, warnings } = await offer(process.env);
    expect(versions).toEqual({ goose: "1.25.0", "claude-code": "2.1.197", codex: "0.171.0", shell: "" });
    expect(warnings).toEqual([]);
  });

  it("offers no agent whose binary is missing, and says which setting points at it", async () => {
    const { versions, warnings } = await offer(process.env, { codexBin: "codex-not-installed-here" });
    expect(Object.keys(versions).sort()).toEqual(["claude-code", "goose", "shell"]);
    expect(warnings).toEqual(['codex not offered: no "codex-not-installed-here" binary found (set ORCH_CODEX_BIN)']);
  });

  it("refuses a CLI older than the documented minimum, with a line that says so", async () => {
    const { versions, warnings } = await offer({ ...process.env, FAKE_AGENT_VERSION: "0.40.0" }, {}, ["codex", "shell"]);
    expect(versions).toEqual({ shell: "" });
    expect(warnings).toEqual([
      `codex not offered: "${FAKE_CODEX}" is version 0.40.0, older than ${MINIMUM_VERSIONS.codex}, the oldest this worker supports; upgrade it`,
    ]);
  });

  it("offers only the agents the operator enabled", async () => {
    const { versions, warnings } = await offer(process.env, {}, ["goose"]);
    expect(versions).toEqual({ goose: "1.25.0" });
    expect(warnings).toEqual([]);
  });
});
