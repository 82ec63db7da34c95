import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { create } from "@bufbuild/protobuf";
import { JobSchema, JobService, type CreateJobRequest, type TriggerJobRequest } from "../src/gen/flightcontrol/v1/job_pb";
import { SkillService } from "../src/gen/flightcontrol/v1/skill_pb";
import { CredentialService } from "../src/gen/flightcontrol/v1/credential_pb";
import { ParameterType } from "../src/gen/flightcontrol/v1/spec_pb";
import { RunService, type CreateRunRequest } from "../src/gen/flightcontrol/v1/run_pb";
import { RunJobButton } from "../src/components/RunJobButton";
import { JobEditPage } from "../src/pages/JobEditPage";
import { NewRunPage } from "../src/pages/NewRunPage";
import { mockTransport, renderPage } from "./support/render";

const JOB_ID = "7c0e8a52-1111-4222-8333-444455556666";
const SKILL_ID = "0b7f7d4e-1111-4222-8333-444455556666";

const job = create(JobSchema, {
  id: JOB_ID,
  name: "triage",
  spec: {
    agent: "goose",
    prompt: "Triage {{topic}} ({{count}}, {{ mode }})",
    parameters: [
      { name: "topic", type: ParameterType.STRING, required: true, description: "What to triage" },
      { name: "count", type: ParameterType.NUMBER, defaultValue: "3" },
      { name: "dry_run", type: ParameterType.BOOLEAN, description: "Only report" },
      { name: "mode", type: ParameterType.ENUM, choices: ["fast", "slow"], defaultValue: "slow" },
    ],
  },
});

describe("parameters in the dashboard", () => {
  it("Run now on a job with parameters opens a form generated from them and sends their values", async () => {
    const user = userEvent.setup();
    const triggered: TriggerJobRequest[] = [];
    const transport = mockTransport((r) =>
      r.service(JobService, {
        getJob: () => ({ job }),
        triggerJob(req) {
          triggered.push(req);
          return { run: { id: "5d1c3b2a-1111-4222-8333-444455556666" } };
        },
      }),
    );
    // A list row's job has no spec: the button fetches it to see the parameters.
    renderPage(<RunJobButton job={create(JobSchema, { id: JOB_ID, name: "triage" })} />, { transport });
    await user.click(screen.getByRole("button", { name: "▶ Run now" }));
    const form = await screen.findByRole("form", { name: "Run with parameters" });

    const topic = within(form).getByRole("textbox", { name: "topic*" });
    expect(topic).toHaveValue("");
    expect(topic).toHaveAccessibleDescription("What to triage");
    expect(within(form).getByRole("textbox", { name: "count" })).toHaveValue("3");
    expect(within(form).getByRole("checkbox", { name: "dry_run" })).not.toBeChecked();
    expect(within(form).getByRole("combobox", { name: "mode" })).toHaveValue("slow");

    // A required value left empty is named before anything is sent.
    await user.click(within(form).getByRole("button", { name: "▶ Run" }));
    expect(await within(form).findByText("topic is required; give it a value.")).toBeInTheDocument();
    expect(triggered).toHaveLength(0);

    await user.type(topic, "flaky tests");
    await user.clear(within(form).getByRole("textbox", { name: "count" }));
    await user.click(within(form).getByRole("checkbox", { name: "dry_run" }));
    await user.selectOptions(within(form).getByRole("combobox", { name: "mode" }), "fast");
    // The emptied number shows its default, as the server will fill it.
    expect(within(form).getByTestId("prompt-preview")).toHaveTextContent("Triage flaky tests (3, fast)");
    await user.click(within(form).getByRole("button", { name: "▶ Run" }));
    await waitFor(() => expect(triggered).toHaveLength(1));
    // The emptied number is left out, so the server applies its default.
    expect(triggered[0]?.parameters).toEqual({ topic: "flaky tests", dry_run: "true", mode: "fast" });
  });

  it("the job form sends parameters, env and skills, and refuses a placeholder that names no parameter", async () => {
    const user = userEvent.setup();
    const created: CreateJobRequest[] = [];
    const transport = mockTransport((r) => {
      r.service(CredentialService, { listCredentials: () => ({ credentials: [] }) });
      r.service(SkillService, { listSkills: () => ({ skills: [{ id: SKILL_ID, name: "pdf-tools", description: "PDFs", version: 2 }] }) });
      r.service(JobService, {
        createJob(req) {
          created.push(req);
          return { job: { id: JOB_ID, name: req.name } };
        },
      });
    });
    renderPage(<JobEditPage />, { transport, path: "/jobs/new" });
    await user.type(screen.getByRole("textbox", { name: "Name" }), "triage");
    // Pasted: user.type reads braces as key names.
    await user.click(document.querySelector("[data-field='spec.prompt'] textarea")!);
    await user.paste("Triage {{topic}}");
    await user.click(screen.getByRole("button", { name: "Create job" }));
    expect(await screen.findByText('{{topic}} names no parameter: add a parameter "topic" or remove the placeholder.')).toBeInTheDocument();
    expect(created).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "+ Parameter" }));
    await user.type(screen.getByRole("textbox", { name: "Parameter 1 name" }), "topic");
    await user.click(screen.getByRole("checkbox", { name: "Required" }));
    await user.click(screen.getByRole("button", { name: "+ Variable" }));
    await user.type(screen.getByRole("textbox", { name: "Environment variables 1 name" }), "GITHUB_TOKEN");
    expect(screen.getByText(/GITHUB_TOKEN looks like a secret/)).toBeInTheDocument();
    await user.type(screen.getByRole("textbox", { name: "Environment variables 1 value" }), "not really");
    await user.click(await screen.findByRole("checkbox", { name: /pdf-tools/ }));
    await user.click(screen.getByRole("button", { name: "Create job" }));

    await waitFor(() => expect(created).toHaveLength(1));
    const spec = created[0]?.spec;
    expect(spec?.prompt).toBe("Triage {{topic}}");
    expect(spec?.parameters.map((p) => [p.name, p.type, p.required])).toEqual([["topic", ParameterType.STRING, true]]);
    expect(spec?.env).toEqual({ GITHUB_TOKEN: "not really" });
    expect(spec?.skillIds).toEqual([SKILL_ID]);
  }, 20_000);

  it("a new run from a job with parameters asks for their values and sends them with CreateRun", async () => {
    const user = userEvent.setup();
    const createdRuns: CreateRunRequest[] = [];
    const transport = mockTransport((r) => {
      r.service(CredentialService, { listCredentials: () => ({ credentials: [] }) });
      r.service(SkillService, { listSkills: () => ({ skills: [] }) });
      r.service(JobService, { getJob: () => ({ job }) });
      r.service(RunService, {
        createRun(req) {
          createdRuns.push(req);
          return { run: { id: "5d1c3b2a-1111-4222-8333-444455556666" } };
        },
      });
    });
    renderPage(<NewRunPage />, { transport, path: `/runs/new?job=${JOB_ID}` });
    const values = await screen.findByTestId("parameter-values");
    expect(within(values).getByRole("textbox", { name: "count" })).toHaveValue("3");
    expect(within(values).getByRole("combobox", { name: "mode" })).toHaveValue("slow");

    // A required value left empty is named before anything is sent.
    await user.click(screen.getByRole("button", { name: "Queue run" }));
    expect(await screen.findAllByText("topic is required; give it a value.")).not.toHaveLength(0);
    expect(createdRuns).toHaveLength(0);

    await user.type(within(values).getByRole("textbox", { name: "topic*" }), "flaky tests");
    await user.click(screen.getByRole("button", { name: "Queue run" }));
    await waitFor(() => expect(createdRuns).toHaveLength(1));
    // The definitions go with the spec; the values beside it, the untouched optional ones as their defaults.
    expect(createdRuns[0]?.spec?.parameters.map((p) => p.name)).toEqual(["topic", "count", "dry_run", "mode"]);
    expect(createdRuns[0]?.parameters).toEqual({ topic: "flaky tests", count: "3", dry_run: "false", mode: "slow" });
  }, 20_000);
});
