import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { JobService, type ImportRecipeRequest } from "../src/gen/flightcontrol/v1/job_pb";
import { ScheduleSchema, ScheduleService, type UpdateScheduleRequest } from "../src/gen/flightcontrol/v1/schedule_pb";
import { ParameterType } from "../src/gen/flightcontrol/v1/spec_pb";
import { ImportRecipeForm } from "../src/components/ImportRecipeForm";
import { ScheduleForm } from "../src/components/ScheduleForm";
import { mockTransport, renderPage } from "./support/render";

const JOB_ID = "7c0e8a52-1111-4222-8333-444455556666";

describe("schedule parameter values", () => {
  it("starts from the schedule's stored values, checks types and replaces the values on save", async () => {
    const user = userEvent.setup();
    const updates: UpdateScheduleRequest[] = [];
    const job = {
      id: JOB_ID,
      name: "report",
      spec: {
        agent: "goose",
        prompt: "Report on {{team}} for {{days}} days",
        parameters: [
          { name: "team", type: ParameterType.ENUM, choices: ["web", "infra"], required: true },
          { name: "days", type: ParameterType.NUMBER, defaultValue: "7" },
        ],
      },
    };
    const transport = mockTransport((r) => {
      r.service(JobService, { listJobs: () => ({ jobs: [job] }), getJob: () => ({ job }) });
      r.service(ScheduleService, {
        updateSchedule(req) {
          updates.push(req);
          return {};
        },
      });
    });
    const schedule = create(ScheduleSchema, {
      id: "9a8b7c6d-1111-4222-8333-444455556666",
      jobId: JOB_ID,
      name: "weekly",
      cron: "0 9 * * 1",
      parameters: { team: "infra" },
    });
    renderPage(<ScheduleForm schedule={schedule} onDone={() => {}} />, { transport });

    const values = await screen.findByTestId("parameter-values");
    expect(within(values).getByRole("combobox", { name: "team*" })).toHaveValue("infra");
    const days = within(values).getByRole("textbox", { name: "days" });
    expect(days).toHaveValue("7");

    await user.clear(days);
    await user.type(days, "a week");
    await user.click(screen.getByRole("button", { name: "Save schedule" }));
    expect(await screen.findByText('"a week" is not a number; write it like 3, -2.5 or 1e3.')).toBeInTheDocument();
    expect(updates).toHaveLength(0);

    await user.clear(days);
    await user.type(days, "14");
    await user.click(screen.getByRole("button", { name: "Save schedule" }));
    await waitFor(() => expect(updates).toHaveLength(1));
    expect(updates[0]?.updateParameters).toBe(true);
    expect(updates[0]?.parameters).toEqual({ team: "infra", days: "14" });
  });
});

describe("Import Goose recipe", () => {
  it("sends the pasted recipe and shows the server's refusal as written", async () => {
    const user = userEvent.setup();
    const requests: ImportRecipeRequest[] = [];
    const transport = mockTransport((r) =>
      r.service(JobService, {
        importRecipe(req) {
          requests.push(req);
          throw new ConnectError("recipe: sub_recipes has no place in a Flight Control job; remove it", Code.InvalidArgument);
        },
      }),
    );
    renderPage(<ImportRecipeForm onDone={() => {}} />, { transport });
    const submit = screen.getByRole("button", { name: "Import as job" });
    expect(submit).toBeDisabled();
    await user.click(screen.getByRole("textbox", { name: "Recipe" }));
    await user.paste("title: Weekly\nprompt: hi\nsub_recipes: []\n");
    await user.type(screen.getByRole("textbox", { name: "Job name" }), "weekly");
    await user.click(submit);
    expect(await screen.findByRole("alert")).toHaveTextContent("recipe: sub_recipes has no place in a Flight Control job; remove it");
    expect(requests[0]?.recipe).toBe("title: Weekly\nprompt: hi\nsub_recipes: []\n");
    expect(requests[0]?.name).toBe("weekly");
  });
});
