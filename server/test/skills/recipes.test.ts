import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { ParameterType } from "../../src/gen/flightcontrol/v1/spec_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { refused, spec } from "../foundation/helpers";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

const jobs = () => client(JobService, server.url, ADMIN_KEY);

/** A recipe as goose's recipe reference writes them (YAML). */
const RECIPE = `
version: "1.0.0"
title: Code Review Assistant
description: Review code with customizable focus areas
instructions: You are a reviewer of {{ language }} code.
prompt: Review the current repository for {{ focus }}, at most {{ max_files }} files. Strict {{ strict }}. Format {{ output_format }}.
parameters:
  - key: language
    input_type: string
    requirement: required
    description: Programming language to review
  - key: focus
    input_type: string
    requirement: optional
    default: best practices
    description: Review focus area
  - key: max_files
    input_type: number
    requirement: optional
    default: 10
    description: Maximum files to process
  - key: strict
    input_type: boolean
    requirement: optional
    default: "false"
    description: Fail on warnings
  - key: output_format
    input_type: select
    requirement: required
    description: Choose output format
    options: [json, markdown]
extensions:
  - type: builtin
    name: developer
  - type: stdio
    name: codesearch
    cmd: uvx
    args: [mcp_codesearch@latest]
    timeout: 300
  - type: streamable_http
    name: docs
    uri: https://mcp.example.com/mcp
    timeout: 60
settings:
  goose_provider: anthropic
  goose_model: claude-sonnet-4-20250514
activities:
  - Review the current file
`;

describe("Goose recipes", () => {
  it("import as a goose job with the same meaning", async () => {
    const job = (await jobs().importRecipe({ recipe: RECIPE })).job!;
    expect(job.name).toBe("Code Review Assistant");
    expect(job.description).toBe("Review code with customizable focus areas");
    const s = job.spec!;
    expect(s).toMatchObject({
      agent: "goose",
      provider: "anthropic",
      model: "claude-sonnet-4-20250514",
      systemInstructions: "You are a reviewer of {{ language }} code.",
      builtins: ["developer"],
    });
    expect(s.parameters.map((p) => [p.name, ParameterType[p.type], p.required, p.defaultValue, p.choices])).toEqual([
      ["language", "STRING", true, "", []],
      ["focus", "STRING", false, "best practices", []],
      ["max_files", "NUMBER", false, "10", []],
      ["strict", "BOOLEAN", false, "false", []],
      ["output_format", "ENUM", true, "", ["json", "markdown"]],
    ]);
    expect(s.extensions.map((e) => [e.name, e.transport.case, e.timeoutSeconds])).toEqual([
      ["codesearch", "stdio", 300],
      ["docs", "streamableHttp", 60],
    ]);
    // The placeholders are ours too: triggering fills them in.
    const run = (await jobs().triggerJob({ id: job.id, parameters: { language: "TypeScript", output_format: "json" } })).run!;
    expect(run.spec!.prompt).toBe("Review the current repository for best practices, at most 10 files. Strict false. Format json.");
  });

  it("round-trip: import then export gives back the recipe's meaning", async () => {
    const job = (await jobs().importRecipe({ recipe: RECIPE, name: "round trip" })).job!;
    const exported = parse((await jobs().exportRecipe({ id: job.id })).recipe);
    const original = parse(RECIPE);
    // Desktop-only activities are not part of a job; everything else comes back.
    const { activities: _desktopOnly, ...meaning } = original;
    expect({ ...exported, title: original.title }).toEqual({
      ...meaning,
      parameters: meaning.parameters.map((p: Record<string, unknown>) => ({
        ...p,
        ...(p.default !== undefined ? { default: String(p.default) } : {}),
      })),
    });
    // And importing the export gives the same job again.
    const again = (await jobs().importRecipe({ recipe: (await jobs().exportRecipe({ id: job.id })).recipe, name: "round trip again" })).job!;
    expect(again.spec).toEqual(job.spec);
    expect(again.description).toBe(job.description);
  });

  it("import JSON and goose Desktop's wrapped form; a recipe without extensions gets goose's default developer builtin", async () => {
    const json = JSON.stringify({ name: "x", isGlobal: true, recipe: { title: "Wrapped", description: "d", prompt: "hello" } });
    const job = (await jobs().importRecipe({ recipe: json })).job!;
    expect(job).toMatchObject({ name: "Wrapped", spec: { agent: "goose", prompt: "hello", builtins: ["developer"] } });
    const exported = parse((await jobs().exportRecipe({ id: job.id })).recipe);
    expect(exported).toEqual({ version: "1.0.0", title: "Wrapped", description: "d", prompt: "hello" });
  });

  const refusals: Array<[string, string, RegExp]> = [
    ["no prompt", "title: t\ndescription: d\ninstructions: i\n", /prompt is missing; Flight Control runs goose headless/],
    [
      "a file parameter",
      "title: t\ndescription: d\nprompt: '{{ f }}'\nparameters:\n  - {key: f, input_type: file, requirement: required, description: x}\n",
      /parameter "f": input_type file is not supported/,
    ],
    ["a temperature", "title: t\ndescription: d\nprompt: p\nsettings:\n  temperature: 0.7\n", /settings\.temperature has no equivalent/],
    ["retry checks", "title: t\ndescription: d\nprompt: p\nretry:\n  max_retries: 2\n", /field "retry" has no equivalent/],
    [
      "env_keys",
      "title: t\ndescription: d\nprompt: p\nextensions:\n  - {type: stdio, name: gh, cmd: gh-mcp, env_keys: [GITHUB_TOKEN]}\n",
      /extension "gh": env_keys/,
    ],
    ["an unknown placeholder", "title: t\ndescription: d\nprompt: 'hi {{ who }}'\n", /placeholder \{\{who\}\} names no parameter/],
    ["not YAML", "title: [\n", /not valid YAML or JSON/],
  ];
  for (const [what, recipe, message] of refusals) {
    it(`refuse a recipe with ${what}`, async () => {
      const err = await refused(jobs().importRecipe({ recipe }), Code.InvalidArgument);
      expect(err.rawMessage).toMatch(message);
    });
  }

  it("export only goose jobs", async () => {
    const job = (await jobs().createJob({ name: "a shell job", spec: spec() })).job!;
    expect((await refused(jobs().exportRecipe({ id: job.id }), Code.FailedPrecondition)).rawMessage).toMatch(/only goose jobs/);
  });
});
