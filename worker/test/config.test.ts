import { describe, expect, it } from "vitest";
import { loadWorkerConfig } from "../src/config";

const base = { ORCH_API_KEY: "fc_test" };

describe("loadWorkerConfig: ORCH_LOG_LEVEL", () => {
  it("defaults to info and takes any pino level", () => {
    expect(loadWorkerConfig(base).logLevel).toBe("info");
    expect(loadWorkerConfig({ ...base, ORCH_LOG_LEVEL: "" }).logLevel).toBe("info");
    expect(loadWorkerConfig({ ...base, ORCH_LOG_LEVEL: "debug" }).logLevel).toBe("debug");
    expect(loadWorkerConfig({ ...base, ORCH_LOG_LEVEL: "silent" }).logLevel).toBe("silent");
  });

  it("refuses an unknown level, naming the variable and the levels it takes", () => {
    expect(() => loadWorkerConfig({ ...base, ORCH_LOG_LEVEL: "verbose" })).toThrow(
      /ORCH_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"/,
    );
  });
});
