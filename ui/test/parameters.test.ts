import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ParameterSchema, ParameterType } from "../src/gen/flightcontrol/v1/spec_pb";
import { checkSpecDraft } from "../src/lib/job-spec-checks";
import { draftToSpec, emptySpecDraft, specToDraft } from "../src/lib/job-spec-draft";
import { checkParameters, valueProblem } from "../src/lib/parameter-checks";
import { emptyParameter, type ParameterDraft } from "../src/lib/parameter-draft";
import { checkValues, compactValues, initialValues, valuesToSend } from "../src/lib/parameter-values";
import { fillPlaceholders, placeholderNames } from "../src/lib/placeholders";

const param = (p: Partial<ParameterDraft>): ParameterDraft => ({ ...emptyParameter(), ...p });

describe("placeholders (as the server reads them)", () => {
  it("finds {{name}} and {{ name }} once each, in order, and ignores what is not a name", () => {
    expect(placeholderNames("Fix {{ repo }} on {{branch}}, then {{repo}} again; {{ a.b }} {{1x}} {x}")).toEqual(["repo", "branch"]);
  });

  it("fills known names in one pass and leaves unknown ones as written", () => {
    expect(fillPlaceholders("{{a}} {{ b }} {{c}}", { a: "{{b}}", b: "2" })).toBe("{{b}} 2 {{c}}");
  });
});

describe("valueProblem", () => {
  it("accepts decimal numbers and refuses anything else, saying how to write one", () => {
    for (const ok of ["3", "-2.5", "1e3", ".5", "2."]) expect(valueProblem(ParameterType.NUMBER, [], ok)).toBeUndefined();
    for (const bad of ["0x10", "Infinity", " 3", "three", ""])
      expect(valueProblem(ParameterType.NUMBER, [], bad)).toMatch(/not a number; write it like 3/);
  });

  it("booleans are true or false in any case; enums one of the choices", () => {
    expect(valueProblem(ParameterType.BOOLEAN, [], "TRUE")).toBeUndefined();
    expect(valueProblem(ParameterType.BOOLEAN, [], "yes")).toMatch(/write true or false/);
    expect(valueProblem(ParameterType.ENUM, ["a", "b"], "b")).toBeUndefined();
    expect(valueProblem(ParameterType.ENUM, ["a", "b"], "c")).toBe('"c" is not one of the choices (a, b).');
    expect(valueProblem(ParameterType.STRING, [], "")).toBeUndefined();
  });
});

describe("checkParameters (the server's assertParameters, placed on fields)", () => {
  it("a placeholder that names no parameter is reported on the field that has it, saying what to add", () => {
    const out = checkParameters([param({ name: "topic" })], [{ field: "prompt", text: "About {{topic}} for {{ audience }}" }], "spec");
    expect(out).toEqual([{ path: "spec.prompt", message: '{{audience}} names no parameter: add a parameter "audience" or remove the placeholder.' }]);
  });

  it("names: required, identifier-shaped and unique", () => {
    const out = checkParameters([param({ name: "" }), param({ name: "2x" }), param({ name: "a" }), param({ name: "a" })], [], "spec");
    expect(out.map((v) => v.path)).toEqual(["spec.parameters[0].name", "spec.parameters[1].name", "spec.parameters[3].name"]);
    expect(out[2]?.message).toMatch(/defined twice/);
  });

  it("an enum needs choices, distinct ones; an optional number or enum needs a default of its type", () => {
    const out = checkParameters(
      [
        param({ name: "e", type: ParameterType.ENUM, required: true }),
        param({ name: "d", type: ParameterType.ENUM, choices: "x\nx", defaultValue: "x" }),
        param({ name: "n", type: ParameterType.NUMBER }),
        param({ name: "m", type: ParameterType.NUMBER, defaultValue: "many" }),
        param({ name: "o", type: ParameterType.ENUM, choices: "x\ny", defaultValue: "z" }),
      ],
      [],
      "spec",
    );
    expect(out).toEqual([
      { path: "spec.parameters[0].choices", message: "List the choices, one per line." },
      { path: "spec.parameters[1].choices", message: "Remove the repeated choice." },
      { path: "spec.parameters[2].default_value", message: "An optional number parameter needs a default; give one or make it required." },
      { path: "spec.parameters[3].default_value", message: 'The default "many" is not a number; write it like 3, -2.5 or 1e3.' },
      { path: "spec.parameters[4].default_value", message: 'The default "z" is not one of the choices (x, y).' },
    ]);
  });

  it("a well-formed set passes, including a required parameter whose hidden default is ignored", () => {
    const params = [
      param({ name: "topic", required: true, defaultValue: "stale" }),
      param({ name: "n", type: ParameterType.NUMBER, defaultValue: "3" }),
      param({ name: "flag", type: ParameterType.BOOLEAN }),
    ];
    expect(checkParameters(params, [{ field: "prompt", text: "{{topic}} {{n}} {{flag}}" }], "spec")).toEqual([]);
  });
});

describe("the job form's draft", () => {
  it("round-trips env, parameters and skill ids; a required parameter sends no default", () => {
    const d = emptySpecDraft();
    d.prompt = "Summarise {{topic}}";
    d.env = [{ key: "LOG_LEVEL", value: "debug" }];
    d.skillIds = ["3f1c6a8e-0000-4000-8000-000000000001"];
    d.parameters = [
      param({ name: "topic", required: true, defaultValue: "left over" }),
      param({ name: "mode", type: ParameterType.ENUM, choices: " fast \nslow\n\n", defaultValue: "fast" }),
    ];
    const spec = draftToSpec(d);
    expect(spec.env).toEqual({ LOG_LEVEL: "debug" });
    expect(spec.skillIds).toEqual(d.skillIds);
    expect(spec.parameters).toEqual([
      { name: "topic", type: ParameterType.STRING, description: "", defaultValue: "", required: true, choices: [] },
      { name: "mode", type: ParameterType.ENUM, description: "", defaultValue: "fast", required: false, choices: ["fast", "slow"] },
    ]);
  });

  it("checkSpecDraft reports an unknown placeholder in an env value and a protected env name", () => {
    const d = specToDraft(undefined);
    d.prompt = "hi";
    d.env = [
      { key: "TARGET", value: "{{ where }}" },
      { key: "HOME", value: "/tmp" },
    ];
    expect(checkSpecDraft(d, "spec")).toEqual([
      { path: 'spec.env["HOME"]', message: "The worker sets HOME for every run; rename the variable." },
      { path: 'spec.env["TARGET"]', message: '{{where}} names no parameter: add a parameter "where" or remove the placeholder.' },
    ]);
  });
});

describe("parameter values (trigger and schedule forms)", () => {
  const params = [
    create(ParameterSchema, { name: "topic", type: ParameterType.STRING, required: true }),
    create(ParameterSchema, { name: "n", type: ParameterType.NUMBER, defaultValue: "3" }),
    create(ParameterSchema, { name: "flag", type: ParameterType.BOOLEAN }),
    create(ParameterSchema, { name: "mode", type: ParameterType.ENUM, choices: ["fast", "slow"], defaultValue: "slow" }),
  ];

  it("start from the defaults (false for a boolean), or from stored values", () => {
    expect(initialValues(params)).toEqual({ topic: "", n: "3", flag: "false", mode: "slow" });
    expect(initialValues(params, { topic: "x", mode: "fast", gone: "1" })).toEqual({ topic: "x", n: "3", flag: "false", mode: "fast" });
  });

  it("a missing required value and a value of the wrong type are named on the parameter", () => {
    expect(checkValues(params, { topic: "", n: "lots", flag: "false", mode: "slow" })).toEqual([
      { path: 'parameters["topic"]', message: "topic is required; give it a value." },
      { path: 'parameters["n"]', message: '"lots" is not a number; write it like 3, -2.5 or 1e3.' },
    ]);
    expect(checkValues(params, { topic: "ok", n: "", flag: "true", mode: "fast" })).toEqual([]);
  });

  it("empty optional values are left out so they take the default", () => {
    expect(valuesToSend(params, { topic: "ok", n: "", flag: "true", mode: "fast" })).toEqual({ topic: "ok", flag: "true", mode: "fast" });
  });

  it("compact values cut long ones", () => {
    expect(compactValues({ a: "1", b: "x".repeat(40) }, 10)).toBe(`a=1, b=${"x".repeat(9)}…`);
  });
});
