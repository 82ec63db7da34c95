import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { gooseConfigWithExtensions, operatorGooseConfigPath } from "../../src/agents/goose-config";

const job = {
  docs: { enabled: true, type: "stdio", name: "docs", description: "", timeout: 300, cmd: "npx", args: ["-y", "docs"], envs: { K: "v: with colon" } },
};
const parse = (text: string) => YAML.parse(text, { uniqueKeys: true });

describe("the run's goose config.yaml", () => {
  it("keeps every operator setting and extension, adds the job's, and lets the job's replace one of the same key", () => {
    const operator = [
      "# written by goose configure",
      "GOOSE_PROVIDER: openai",
      "extensions:",
      "  developer:",
      "    enabled: true",
      "    type: builtin",
      "    name: developer",
      "  docs:",
      "    enabled: true",
      "    type: stdio",
      "    name: docs",
      "    cmd: old-docs",
      "GOOSE_MODEL: 'gpt-4o'",
      "list:",
      "- a",
      "- b",
      "",
    ].join("\n");
    const out = gooseConfigWithExtensions(operator, job, "/op/config.yaml");
    if (!("text" in out)) throw new Error(out.error);
    expect(parse(out.text)).toEqual({
      GOOSE_PROVIDER: "openai",
      GOOSE_MODEL: "gpt-4o",
      list: ["a", "b"],
      extensions: { developer: { enabled: true, type: "builtin", name: "developer" }, docs: job.docs },
    });
  });

  it("works from no operator file, an empty extensions map, and a quoted key", () => {
    for (const operator of ["", "extensions: {}\n", 'GOOSE_MODE: auto\n"extensions":\n']) {
      const out = gooseConfigWithExtensions(operator, job, "f");
      if (!("text" in out)) throw new Error(out.error);
      expect(parse(out.text).extensions).toEqual(job);
    }
    expect(gooseConfigWithExtensions("GOOSE_PROVIDER: openai\n", {}, "f")).toEqual({ text: "GOOSE_PROVIDER: openai\n" });
  });

  it("refuses an extensions map it cannot extend without rewriting it, naming the file", () => {
    expect(gooseConfigWithExtensions("extensions: {developer: {enabled: true}}\n", job, "/op/config.yaml")).toEqual({
      error: expect.stringContaining("/op/config.yaml writes extensions: in flow style"),
    });
  });

  it("reads the operator's file where goose would", () => {
    expect(operatorGooseConfigPath({ GOOSE_PATH_ROOT: "/srv/goose", HOME: "/h" })).toBe("/srv/goose/config/config.yaml");
    expect(operatorGooseConfigPath({ GOOSE_PATH_ROOT: "relative", XDG_CONFIG_HOME: "/x", HOME: "/h" })).toBe("/x/goose/config.yaml");
    expect(operatorGooseConfigPath({ HOME: "/h" })).toBe("/h/.config/goose/config.yaml");
  });
});
