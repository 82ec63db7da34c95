import { describe, expect, it } from "vitest";
import { createClaudeCodeAgent } from "../../src/agents/claude-code";
import { claudeRootRefusal } from "../../src/agents/claude-root-check";
import { FAKE_CLAUDE } from "../../../testkit/paths";
import { context, runAgent, spec } from "./helpers";

const operatorEnv = { PATH: process.env.PATH };

describe("claude-code as root", () => {
  it("fails the run before claude starts, saying why and what to do", async () => {
    const agent = createClaudeCodeAgent({ bin: FAKE_CLAUDE, baseEnv: operatorEnv, agentUid: 0 });
    // A credential cannot vouch for the machine: IS_SANDBOX from a job's credentials changes nothing.
    const ctx = context(spec({ prompt: "say hi" }), { credentialEnv: { IS_SANDBOX: "1" } });
    const { outputs, outcome } = await runAgent(agent, ctx);
    expect(outputs).toEqual([]);
    expect(outcome.ok).toBe(false);
    expect(outcome.exitCode).toBeUndefined();
    expect(outcome.error).toMatch(/^claude-code cannot run as root: /);
    expect(outcome.error).toContain("Run the worker as an unprivileged user");
    expect(outcome.error).toContain("bubblewrap sandbox");
  });

  it("runs as an unprivileged user, or as root when the operator says the worker's container is the sandbox", async () => {
    for (const options of [
      { agentUid: 1000, baseEnv: operatorEnv },
      { agentUid: 0, baseEnv: { ...operatorEnv, IS_SANDBOX: "1" } },
    ]) {
      const { outcome } = await runAgent(createClaudeCodeAgent({ bin: FAKE_CLAUDE, ...options }), context(spec({ prompt: "say hi" })));
      expect(outcome, JSON.stringify(options)).toMatchObject({ ok: true, exitCode: 0 });
    }
    expect(claudeRootRefusal(undefined, {})).toBeUndefined();
    expect(claudeRootRefusal(0, { IS_SANDBOX: "true" })).toBeDefined();
  });
});
