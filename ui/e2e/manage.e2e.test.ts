import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { newContext } from "./support/browser";
import type { Stack } from "./support/stack";
import { DashboardApp } from "./support/app";
import { openDashboard, type Dashboard } from "./support/dashboard";
import { rpc } from "./support/api";

let dashboard: Dashboard;
let stack: Stack;
let browser: Browser;
let page: Page;
let app: DashboardApp;

beforeAll(async () => {
  dashboard = await openDashboard({ workers: [{ name: "e2e-fleet-a", labels: { zone: "a" }, capacity: 2 }], signedIn: true });
  ({ stack, browser, page, app } = dashboard);
});

afterAll(() => dashboard?.close());

describe("managing the control plane", () => {
  it("creates, finds, edits, runs and deletes a job", async () => {
    const jobId = await app.createJob({ name: "e2e-greeting", description: "says hello", agent: "shell", prompt: "echo hello from a job" });
    await page.getByRole("heading", { name: "e2e-greeting" }).waitFor();
    await page.getByTestId("job-spec").getByText("echo hello from a job").waitFor();

    await app.goto("/jobs");
    await page.getByRole("searchbox", { name: "Search jobs" }).fill("greet");
    await page.locator(`[data-job-id="${jobId}"]`).waitFor();
    await page.getByRole("searchbox", { name: "Search jobs" }).fill("no-such-job");
    await page.getByText(/No job matches/).waitFor();

    await app.goto(`/jobs/${jobId}/edit`);
    await app.field("spec.prompt").locator("textarea").fill("echo edited job");
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(new RegExp(`/jobs/${jobId}$`));
    await page.getByTestId("job-spec").getByText("echo edited job").waitFor();

    await page.getByRole("button", { name: "▶ Run now" }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    await app.waitForRunStatus("succeeded");
    await page.locator("[data-line]", { hasText: "edited job" }).first().waitFor();

    // The run shows up in the job's history.
    await app.goto(`/jobs/${jobId}`);
    await page.getByTestId("run-table").locator('[data-status="succeeded"]').first().waitFor();

    // A duplicate name is the server's AlreadyExists (if it enforces unique names) or succeeds;
    // either way the form reports what happened instead of failing silently.
    await app.goto("/jobs");
    await page.locator(`[data-job-id="${jobId}"]`).getByRole("button", { name: "Delete" }).click();
    await page.locator(`[data-job-id="${jobId}"]`).getByRole("button", { name: "Delete job?" }).click();
    await page.locator(`[data-job-id="${jobId}"]`).waitFor({ state: "detached" });
  });

  it("creates a schedule with a readable cron preview, pauses, resumes and deletes it", async () => {
    const { job } = await rpc<{ job: { id: string } }>(stack.url, stack.adminKey, "JobService/CreateJob", {
      name: "e2e-scheduled",
      spec: { agent: "shell", prompt: "echo tick" },
    });
    await app.goto(`/jobs/${job.id}`);
    await page.getByRole("link", { name: "New schedule" }).click();
    await page.getByRole("form", { name: "New schedule" }).waitFor();
    await page.getByRole("textbox", { name: "Name", exact: true }).fill("weekday mornings");
    await page.getByRole("textbox", { name: "Cron" }).fill("30 9 * * 1-5");
    await page.getByRole("combobox", { name: "Time zone" }).fill("Europe/Berlin");
    await expect(page.getByTestId("cron-description").textContent()).resolves.toMatch(/09:30.*Monday through Friday/);
    await expect(page.getByTestId("cron-next").locator("li").count()).resolves.toBe(5);
    await page.getByRole("button", { name: "Create schedule" }).click();

    const row = page.locator("[data-schedule-id]", { hasText: "weekday mornings" });
    await row.waitFor();
    await row.getByRole("button", { name: "Pause" }).click();
    await row.getByText("paused", { exact: true }).waitFor();
    await row.getByRole("button", { name: "Resume" }).click();
    await row.getByText("paused", { exact: true }).waitFor({ state: "detached" });

    // A bad cron is refused by the server and shown at the field.
    await page.getByRole("button", { name: "New schedule" }).click();
    await page.getByRole("combobox", { name: "Job" }).selectOption(job.id);
    await page.getByRole("textbox", { name: "Name", exact: true }).fill("broken");
    await page.getByRole("textbox", { name: "Cron" }).fill("every day");
    await page.getByRole("button", { name: "Create schedule" }).click();
    await page.locator('[data-field-error="cron"], [role="alert"]').first().waitFor();
    await page.getByRole("button", { name: "Cancel" }).click();

    await row.getByRole("button", { name: "Delete" }).click();
    await row.getByRole("button", { name: "Delete?" }).click();
    await row.waitFor({ state: "detached" });
  });

  it("stores credentials from a provider preset without ever showing values, rotates and deletes them", async () => {
    const secret = "sk-e2e-super-secret-value";
    await app.goto("/credentials");
    await page.getByRole("button", { name: "New credential" }).click();
    await page.getByRole("button", { name: "OpenAI", exact: true }).click();
    await expect(page.getByRole("textbox", { name: "Variables 1 name" }).inputValue()).resolves.toBe("OPENAI_API_KEY");
    await expect(page.getByRole("textbox", { name: "Name", exact: true }).inputValue()).resolves.toBe("OpenAI");
    await page.getByLabel("Variables 1 value").fill(secret);
    await page.getByRole("button", { name: "Save credential" }).click();
    const row = page.locator("[data-credential-id]", { hasText: "OpenAI" });
    await row.getByText("OPENAI_API_KEY").waitFor();
    expect(await page.content()).not.toContain(secret);

    // The run form offers it, with the provider's variable hint.
    await app.goto("/runs/new");
    await page.getByRole("combobox", { name: "Provider" }).selectOption("openai");
    await expect(page.getByTestId("provider-env-hint").textContent()).resolves.toContain("OPENAI_API_KEY");
    await page.getByRole("group", { name: "Credentials" }).getByText("OpenAI", { exact: true }).click();

    await app.goto("/credentials");
    await row.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("New values 1 value").fill("sk-rotated-value");
    await page.getByRole("button", { name: "Rotate values" }).click();
    await page.getByRole("dialog").waitFor({ state: "hidden" });
    expect(await page.content()).not.toContain("sk-rotated-value");

    await row.getByRole("button", { name: "Delete" }).click();
    await row.getByRole("button", { name: "Delete?" }).click();
    await row.waitFor({ state: "detached" });
  });

  it("creates an API key shown once, limits a viewer to reading, and revokes the key", async () => {
    await app.goto("/api-keys");
    await page.getByRole("button", { name: "New API key" }).click();
    await page.getByRole("textbox", { name: "Name", exact: true }).fill("e2e viewer");
    await page.getByRole("combobox", { name: "Role" }).selectOption({ label: "viewer" });
    await page.getByRole("button", { name: "Create key" }).click();
    const key = (await page.getByTestId("new-api-key-value").textContent())!.trim();
    expect(key.length).toBeGreaterThan(16);
    await page.getByTestId("new-api-key").getByRole("button", { name: "Copy" }).click();
    await page.getByTestId("new-api-key").getByRole("button", { name: "Done" }).click();
    await page.getByTestId("new-api-key").waitFor({ state: "detached" });
    expect(await page.content()).not.toContain(key);

    // The viewer sees the dashboard but nothing that changes it.
    const viewerCtx = await newContext(browser);
    const viewer = new DashboardApp(await viewerCtx.newPage(), stack.url);
    await viewer.signIn(key);
    await viewer.role().filter({ hasText: "viewer" }).waitFor();
    await expect(viewer.page.getByRole("link", { name: "+ New run" }).count()).resolves.toBe(0);
    await expect(viewer.nav().textContent()).resolves.not.toContain("Credentials");
    await viewer.goto("/workers");
    await viewer.page.locator("[data-worker-name='e2e-fleet-a']").waitFor();
    await expect(viewer.page.getByRole("button", { name: "Drain" }).count()).resolves.toBe(0);

    const row = page.locator("[data-api-key-id]", { hasText: "e2e viewer" });
    await row.getByRole("button", { name: "Revoke" }).click();
    await row.getByRole("button", { name: "Revoke?" }).click();
    await row.waitFor({ state: "detached" });

    // The revoked key's session ends at its next call.
    await viewer.page.reload();
    await viewer.page.getByLabel("API key").waitFor();
    await viewerCtx.close();
  });

  it("shows the fleet live: a new worker appears and a drained one leaves", async () => {
    await app.goto("/workers");
    await page.locator("[data-worker-name='e2e-fleet-a']").waitFor();
    await page.locator('[data-stream-status="live"]').waitFor();
    await stack.startWorker({ name: "e2e-fleet-b", labels: { zone: "b" }, capacity: 3 });
    const b = page.locator("[data-worker-name='e2e-fleet-b']");
    await b.waitFor();
    await expect(b.getByTestId("worker-slots").textContent()).resolves.toBe("0/3");

    await b.getByRole("button", { name: "Drain" }).click();
    await b.getByRole("button", { name: "Drain?" }).click();
    // Draining, then, idle with nothing to finish, it exits and the row leaves the online list. An
    // idle worker can be gone before a busy machine paints "draining": either is the drain taking hold.
    await Promise.race([b.locator('[data-state="draining"]').waitFor(), b.waitFor({ state: "detached", timeout: 30_000 })]);
    await b.waitFor({ state: "detached", timeout: 30_000 });
    await page.getByRole("checkbox", { name: /Show offline/ }).check();
    await b.locator('[data-state="offline"]').waitFor();
  });

  it("raised no uncaught errors in the page", () => {
    expect(dashboard.pageErrors).toEqual([]);
  });
});
