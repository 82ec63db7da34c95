import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { RunSchema, UsageSchema } from "../src/gen/flightcontrol/v1/run_pb";
import { JobSpecSchema, JobSpecSummarySchema } from "../src/gen/flightcontrol/v1/spec_pb";
import { shortId } from "../src/lib/format";
import { runTitle } from "../src/lib/run-status";
import { usageCells } from "../src/lib/usage";

describe("shortId", () => {
  it("tells apart UUIDv7 ids created in the same minute", () => {
    const a = "019abf2e-7c31-7a10-9f3e-5b2d8c41e0a7";
    const b = "019abf2e-7c31-7b22-8d01-e6f7a9203c55";
    expect(shortId(a)).toBe("8c41e0a7");
    expect(shortId(a)).not.toBe(shortId(b));
  });
});

describe("runTitle", () => {
  const prompt = "Evaluate the fine-tuned support model on the 2,000-question regression set and compare it with the baseline.";
  const run = (jobName: string, jobId = "", p = prompt) => create(RunSchema, { jobName, jobId, spec: create(JobSpecSchema, { prompt: p }) });

  it("uses a job's or a given name", () => {
    expect(runTitle(run("Triage flaky tests", "0b7e…"))).toBe("Triage flaky tests");
    expect(runTitle(run("Evaluate the fine-tuned model"))).toBe("Evaluate the fine-tuned model");
  });

  it("prefers the prompt over the server's 60-character default name of an ad-hoc run", () => {
    const defaulted = prompt.slice(0, 60);
    expect(runTitle(run(defaulted))).toBe(`${prompt.slice(0, 77)}…`);
    expect(runTitle(run("echo hi", "", "echo \n hi"))).toBe("echo");
  });

  it("reads the same from a listed run, which carries a summary instead of the spec", () => {
    const listed = (jobName: string, p: string) =>
      create(RunSchema, { jobName, specSummary: create(JobSpecSummarySchema, { prompt: p.slice(0, 200), promptTruncated: p.length > 200 }) });
    const long = `${prompt} ${"and more ".repeat(40)}`;
    expect(runTitle(listed(long.slice(0, 60), long))).toBe(`${long.slice(0, 77)}…`);
    expect(runTitle(listed("Triage flaky tests", long))).toBe("Triage flaky tests");
    expect(runTitle(create(RunSchema, { jobName: "" }))).toBe("Ad-hoc run");
  });
});

describe("usageCells", () => {
  it("shows every figure an agent reported", () => {
    const u = create(UsageSchema, { inputTokens: 1200n, outputTokens: 345n, totalTokens: 1545n, costUsd: 0.0123 });
    expect(usageCells(u).map((c) => `${c.label} ${c.value}`)).toEqual(["Input 1,200", "Output 345", "Total 1,545", "Cost $0.0123"]);
  });

  it("leaves out what was not reported instead of showing zeros", () => {
    const goose = create(UsageSchema, { totalTokens: 18_342n });
    expect(usageCells(goose).map((c) => `${c.label} ${c.value}`)).toEqual(["Tokens 18.3k"]);
  });
});
