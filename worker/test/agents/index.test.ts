import { describe, expect, it } from "vitest";
import { createAgents } from "../../src/agents";

describe("agent registry", () => {
  it("offers every agent of the contract under its proto name", () => {
    const agents = createAgents({ gooseBin: "goose", claudeBin: "claude", codexBin: "codex" });
    expect([...agents.keys()].sort()).toEqual(["claude-code", "codex", "goose", "shell"]);
    for (const [name, agent] of agents) expect(agent.name).toBe(name);
  });
});
