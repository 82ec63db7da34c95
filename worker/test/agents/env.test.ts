import { describe, expect, it } from "vitest";
import { buildAgentEnv } from "../../src/agents/env";

describe("agent env", () => {
  it("drops every ORCH_ variable, then adds agent vars and credentials", () => {
    const env = buildAgentEnv(
      { PATH: "/bin", HOME: "/home/w", ORCH_API_KEY: "secret", ORCH_SERVER_URL: "http://x", orch_lower: "x", UNSET: undefined },
      { GOOSE_MODE: "auto", HOME: "/agent-home" },
      { OPENAI_API_KEY: "sk-1", GOOSE_MODE: "chat" },
    );
    expect(env).toEqual({ PATH: "/bin", HOME: "/agent-home", GOOSE_MODE: "chat", OPENAI_API_KEY: "sk-1" });
  });
});
