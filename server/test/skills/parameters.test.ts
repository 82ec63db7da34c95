import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobService } from "../../src/gen/flightcontrol/v1/job_pb";
import { RunService, RunView, TriggerKind } from "../../src/gen/flightcontrol/v1/run_pb";
import { ScheduleService } from "../../src/gen/flightcontrol/v1/schedule_pb";
import { ParameterType } from "../../src/gen/flightcontrol/v1/spec_pb";
import { client } from "../../../testkit/clients";
import { ADMIN_KEY } from "../../../testkit/keys";
import { startTestServer, type TestServer } from "../../../testkit/test-server";
import { waitFor } from "../../../testkit/wait-for";
import { refused, spec, violationPaths } from "../foundation/helpers";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.cleanup();
});

const jobs = () => client(JobService, server.url, ADMIN_KEY);
const runs = () => client(RunService, server.url, ADMIN_KEY);
let n = 0;

/** A job using one parameter of every type in every field that takes placeholders. */
const templated = () =>
  spec({
    prompt: "Review {{ repo_name }} with depth {{depth}}, strict={{strict}}, mode {{mode}}; note: {{note}}",
    systemInstructions: "You review {{repo_name}}.",
    setupScript: "echo setting up {{repo_name}}",
    env: { TARGET: "{{repo_name}}-{{mode}}", PLAIN: "no placeholders" },
    repository: { url: "https://git.example.com/org/repo.git", branch: "review/{{repo_name}}" },
    parameters: [
      { name: "repo_name", type: ParameterType.STRING, required: true, description: "Which repository" },
      { name: "depth", type: ParameterType.NUMBER, defaultValue: "3" },
      { name: "strict", type: ParameterType.BOOLEAN },
      { name: "mode", type: ParameterType.ENUM, choices: ["quick", "thorough"], defaultValue: "quick" },
      { name: "note", type: ParameterType.STRING },
    ],
  });

describe("parameters", () => {
  it("fill every templated field at trigger time; the run records the values and the resolved spec", async () => {
    const job = (await jobs().createJob({ name: `templated ${++n}`, spec: templated() })).job!;
    // The job keeps its placeholders.
    expect(job.spec!.prompt).toContain("{{ repo_name }}");
    const { run } = await jobs().triggerJob({ id: job.id, parameters: { repo_name: "flight-control", strict: "TRUE", mode: "thorough" } });
    expect(run!.parameters).toEqual({ repo_name: "flight-control", depth: "3", strict: "true", mode: "thorough", note: "" });
    const got = (await runs().getRun({ id: run!.id })).run!;
    expect(got.spec!.prompt).toBe("Review flight-control with depth 3, strict=true, mode thorough; note: ");
    expect(got.spec!.systemInstructions).toBe("You review flight-control.");
    expect(got.spec!.setupScript).toBe("echo setting up flight-control");
    expect(got.spec!.env).toEqual({ TARGET: "flight-control-thorough", PLAIN: "no placeholders" });
    expect(got.spec!.repository!.branch).toBe("review/flight-control");
    expect(got.specSummary!.prompt).toBe(got.spec!.prompt);
    // Lists show the values too.
    const listed = (await runs().listRuns({ jobId: job.id, view: RunView.BASIC })).runs[0];
    expect(listed.parameters).toEqual(got.parameters);
    // A value is inserted as written, never expanded again.
    const again = (await jobs().triggerJob({ id: job.id, parameters: { repo_name: "x", note: "{{repo_name}}" } })).run!;
    expect((await runs().getRun({ id: again.id })).run!.spec!.prompt).toBe("Review x with depth 3, strict=false, mode quick; note: {{repo_name}}");
    // A retry keeps the values and the resolved spec.
    await runs().cancelRun({ id: again.id });
    const retry = (await runs().retryRun({ id: again.id })).run!;
    expect(retry.parameters).toEqual(again.parameters);
    expect((await runs().getRun({ id: retry.id })).run!.spec!.prompt).toBe("Review x with depth 3, strict=false, mode quick; note: {{repo_name}}");
  });

  const badValues: Array<[string, Record<string, string>, RegExp]> = [
    ["a missing required value", {}, /parameter "repo_name" is required/],
    ["a value for no parameter", { repo_name: "a", colour: "red" }, /the job has no parameter "colour"/],
    ["a number that is not one", { repo_name: "a", depth: "deep" }, /parameter "depth": "deep" is not a number/],
    ["a number with spaces", { repo_name: "a", depth: " 3" }, /parameter "depth": " 3" is not a number/],
    ["a boolean that is not one", { repo_name: "a", strict: "yes" }, /parameter "strict": "yes" is not a boolean/],
    [
      "an enum value that is not a choice",
      { repo_name: "a", mode: "fast" },
      /parameter "mode": "fast" is not one of its choices \("quick", "thorough"\)/,
    ],
    ["a value that breaks the branch name", { repo_name: "a b" }, /repository\.branch is "review\/a b", not a valid branch name/],
  ];
  for (const [what, parameters, message] of badValues) {
    it(`refuse ${what} with InvalidArgument naming the parameter, creating no run`, async () => {
      const job = (await jobs().createJob({ name: `templated ${++n}`, spec: templated() })).job!;
      const err = await refused(jobs().triggerJob({ id: job.id, parameters }), Code.InvalidArgument);
      expect(err.rawMessage).toMatch(message);
      expect((await runs().listRuns({ jobId: job.id })).runs).toEqual([]);
    });
  }

  const badDefinitions: Array<[string, Parameters<typeof spec>[0], RegExp]> = [
    ["an unknown placeholder in the prompt", { prompt: "hello {{who}}" }, /spec\.prompt: placeholder \{\{who\}\} names no parameter/],
    ["an unknown placeholder in an env value", { env: { X: "{{ nope }}" } }, /spec\.env\.X: placeholder \{\{nope\}\} names no parameter/],
    [
      "an unknown placeholder in the branch",
      { repository: { url: "https://git.example.com/a/b.git", branch: "fc/{{ticket}}" } },
      /spec\.repository\.branch: placeholder \{\{ticket\}\} names no parameter/,
    ],
    ["an unknown placeholder in the setup script", { setupScript: "make {{target}}" }, /spec\.setup_script: placeholder \{\{target\}\}/],
    [
      "an unknown placeholder in the system instructions",
      { systemInstructions: "be {{tone}}" },
      /spec\.system_instructions: placeholder \{\{tone\}\}/,
    ],
    [
      "an enum without choices",
      { parameters: [{ name: "m", type: ParameterType.ENUM, required: true }] },
      /parameter "m" is an enum without choices/,
    ],
    [
      "choices on a string",
      { parameters: [{ name: "m", type: ParameterType.STRING, choices: ["a"] }] },
      /parameter "m" has choices but is of type string/,
    ],
    [
      "a default that is not a number",
      { parameters: [{ name: "m", type: ParameterType.NUMBER, defaultValue: "x" }] },
      /parameter "m": its default "x" is not a number/,
    ],
    [
      "a default outside the choices",
      { parameters: [{ name: "m", type: ParameterType.ENUM, choices: ["a"], defaultValue: "b" }] },
      /its default "b" is not one of its choices/,
    ],
    [
      "a required parameter with a default",
      { parameters: [{ name: "m", type: ParameterType.STRING, required: true, defaultValue: "x" }] },
      /is required and has a default/,
    ],
    [
      "an optional number without a default",
      { parameters: [{ name: "m", type: ParameterType.NUMBER }] },
      /is optional and of type number but has no default/,
    ],
    [
      "a parameter defined twice",
      {
        parameters: [
          { name: "m", type: ParameterType.STRING },
          { name: "m", type: ParameterType.STRING },
        ],
      },
      /parameter "m" is defined twice/,
    ],
  ];
  for (const [what, overrides, message] of badDefinitions) {
    it(`refuse a job with ${what} when it is saved`, async () => {
      const err = await refused(jobs().createJob({ name: `bad ${++n}`, spec: spec(overrides) }), Code.InvalidArgument);
      expect(err.rawMessage).toMatch(message);
      const job = (await jobs().createJob({ name: `good ${++n}`, spec: spec() })).job!;
      expect((await refused(jobs().updateJob({ id: job.id, spec: spec(overrides) }), Code.InvalidArgument)).rawMessage).toMatch(message);
    });
  }

  it("refuse a parameter without a type, or with a name that is not an identifier (protovalidate)", async () => {
    const err = await refused(
      jobs().createJob({ name: `bad ${++n}`, spec: spec({ parameters: [{ name: "bad name", type: ParameterType.UNSPECIFIED }] }) }),
      Code.InvalidArgument,
    );
    expect(violationPaths(err)).toEqual(expect.arrayContaining(["spec.parameters[0].name", "spec.parameters[0].type"]));
  });

  it("ad-hoc runs take the values CreateRun gives, checked like TriggerJob's, and defaults for the rest", async () => {
    const { run } = await runs().createRun({
      spec: spec({ prompt: "depth {{depth}}", parameters: [{ name: "depth", type: ParameterType.NUMBER, defaultValue: "2" }] }),
    });
    expect(run!.parameters).toEqual({ depth: "2" });
    expect(run!.spec!.prompt).toBe("depth 2");

    const greeting = spec({
      prompt: "hi {{who}} at depth {{depth}}",
      parameters: [
        { name: "who", type: ParameterType.STRING, required: true },
        { name: "depth", type: ParameterType.NUMBER, defaultValue: "2" },
      ],
    });
    const given = await runs().createRun({ spec: greeting, parameters: { who: "ops" } });
    expect(given.run!.parameters).toEqual({ who: "ops", depth: "2" });
    expect(given.run!.spec!.prompt).toBe("hi ops at depth 2");

    const before = (await runs().listRuns({ pageSize: 500 })).runs.length;
    const missing = await refused(runs().createRun({ spec: greeting }), Code.InvalidArgument);
    expect(missing.rawMessage).toBe('parameters: parameter "who" is required; give it a value');
    const badType = await refused(runs().createRun({ spec: greeting, parameters: { who: "ops", depth: "deep" } }), Code.InvalidArgument);
    expect(badType.rawMessage).toMatch(/^parameters: parameter "depth": /);
    const unknown = await refused(runs().createRun({ spec: greeting, parameters: { who: "ops", colour: "red" } }), Code.InvalidArgument);
    expect(unknown.rawMessage).toBe('parameters: the job has no parameter "colour" (its parameters are who, depth); remove it');
    expect((await runs().listRuns({ pageSize: 500 })).runs.length).toBe(before);
  });

  it("schedules supply values, checked when the schedule is saved", async () => {
    const job = (await jobs().createJob({ name: `scheduled templated ${++n}`, spec: templated() })).job!;
    const schedules = client(ScheduleService, server.url, ADMIN_KEY);
    const bad = await refused(
      schedules.createSchedule({ jobId: job.id, name: "bad", cron: "0 3 * * *", parameters: { repo_name: "a", depth: "many" } }),
      Code.InvalidArgument,
    );
    expect(bad.rawMessage).toMatch(/parameter "depth": "many" is not a number/);
    const missing = await refused(schedules.createSchedule({ jobId: job.id, name: "bad", cron: "0 3 * * *" }), Code.InvalidArgument);
    expect(missing.rawMessage).toMatch(/parameter "repo_name" is required/);

    const s = (
      await schedules.createSchedule({
        jobId: job.id,
        name: "every second",
        cron: "* * * * * *",
        parameters: { repo_name: "nightly", mode: "thorough" },
      })
    ).schedule!;
    expect(s.parameters).toEqual({ repo_name: "nightly", depth: "3", strict: "false", mode: "thorough", note: "" });
    const fired = await waitFor(async () => (await runs().listRuns({ scheduleId: s.id, view: RunView.FULL })).runs[0], {
      what: "the schedule to fire",
    });
    await schedules.pauseSchedule({ id: s.id });
    expect(fired.trigger).toBe(TriggerKind.SCHEDULE);
    expect(fired.parameters).toEqual(s.parameters);
    expect(fired.spec!.prompt).toBe("Review nightly with depth 3, strict=false, mode thorough; note: ");

    const updated = (await schedules.updateSchedule({ id: s.id, updateParameters: true, parameters: { repo_name: "weekly" } })).schedule!;
    expect(updated.parameters.repo_name).toBe("weekly");
    const badUpdate = await refused(
      schedules.updateSchedule({ id: s.id, updateParameters: true, parameters: { mode: "fast", repo_name: "x" } }),
      Code.InvalidArgument,
    );
    expect(badUpdate.rawMessage).toMatch(/parameter "mode": "fast" is not one of its choices/);
  });
});

describe("env", () => {
  it("is stored and shown as written, and reaches the run", async () => {
    const job = (await jobs().createJob({ name: `env ${++n}`, spec: spec({ env: { LOG_LEVEL: "debug", _private: "1" } }) })).job!;
    expect(job.spec!.env).toEqual({ LOG_LEVEL: "debug", _private: "1" });
    const { run } = await jobs().triggerJob({ id: job.id });
    expect((await runs().getRun({ id: run!.id })).run!.spec!.env).toEqual({ LOG_LEVEL: "debug", _private: "1" });
  });

  for (const name of [
    "ORCH_API_KEY",
    "orch_server_url",
    "FLIGHTCONTROL_MCP_0_HEADER_0",
    "GOOSE_PATH_ROOT",
    "GOOSE_MODE",
    "CODEX_HOME",
    "CLAUDE_CONFIG_DIR",
    "HOME",
  ]) {
    it(`refuses ${name}, which the worker sets itself`, async () => {
      const err = await refused(jobs().createJob({ name: `env ${++n}`, spec: spec({ env: { [name]: "x" } }) }), Code.InvalidArgument);
      expect(err.rawMessage).toMatch(new RegExp(`spec\\.env: "${name}" `));
    });
  }

  for (const name of ["1ABC", "A-B", "A B", "É"]) {
    it(`refuses ${JSON.stringify(name)}, not a shell identifier`, async () => {
      await refused(jobs().createJob({ name: `env ${++n}`, spec: spec({ env: { [name]: "x" } }) }), Code.InvalidArgument);
    });
  }
});
