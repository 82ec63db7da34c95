import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { CredentialService, type UpdateCredentialRequest } from "../src/gen/flightcontrol/v1/credential_pb";
import { JobService } from "../src/gen/flightcontrol/v1/job_pb";
import { CredentialsPage } from "../src/pages/CredentialsPage";
import { mockTransport, renderPage } from "./support/render";

const DEPLOY = "0190aaaa-0000-7000-8000-000000000001";
const NIGHTLY = "0190aaaa-0000-7000-8000-000000000002";

describe("credentials page: allowed jobs", () => {
  it("shows each credential's allowed jobs by name, and replaces them from the edit dialog", async () => {
    const user = userEvent.setup();
    const updates: UpdateCredentialRequest[] = [];
    const transport = mockTransport((r) => {
      r.service(JobService, {
        listJobs: () => ({
          jobs: [
            { id: DEPLOY, name: "deploy" },
            { id: NIGHTLY, name: "nightly" },
          ],
        }),
      });
      r.service(CredentialService, {
        listCredentials: () => ({
          credentials: [
            { id: "0190bbbb-0000-7000-8000-000000000001", name: "prod", envNames: ["DEPLOY_KEY"], allowedJobIds: [DEPLOY] },
            { id: "0190bbbb-0000-7000-8000-000000000002", name: "shared", envNames: ["OPENAI_API_KEY"] },
          ],
        }),
        updateCredential: (req) => {
          updates.push(req);
          return { credential: { id: req.id, name: "prod", envNames: ["DEPLOY_KEY"], allowedJobIds: req.allowedJobIds?.ids ?? [] } };
        },
      });
    });
    renderPage(<CredentialsPage />, { transport });
    const prod = (await screen.findByText("prod")).closest("tr")!;
    await waitFor(() => expect(within(prod).getByTestId("allowed-jobs").textContent).toBe("deploy"));
    const shared = screen.getByText("shared").closest("tr")!;
    expect(within(shared).getByTestId("allowed-jobs").textContent).toBe("any run");

    await user.click(within(prod).getByRole("button", { name: "Edit" }));
    const dialog = await screen.findByRole("dialog");
    const jobs = within(dialog).getByRole("group", { name: "Allowed jobs" });
    expect(within(jobs).getByRole("checkbox", { name: "deploy" })).toBeChecked();
    await user.click(within(jobs).getByRole("checkbox", { name: "nightly" }));
    await user.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(updates).toHaveLength(1));
    expect(updates[0].allowedJobIds?.ids).toEqual([DEPLOY, NIGHTLY]);
    // Nothing typed in the values: the stored variables are kept.
    expect(updates[0].env).toEqual({});
  });
});
