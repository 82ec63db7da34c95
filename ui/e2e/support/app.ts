import type { Locator, Page } from "playwright-core";

/**
 * Page objects for the dashboard: tests say what a user does ("queue a shell run") and these
 * know which fields and buttons that takes.
 */
export class DashboardApp {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {}

  async goto(path: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}${path}`);
  }

  async signIn(key: string): Promise<void> {
    await this.goto("/");
    await this.page.getByLabel("API key").fill(key);
    await this.page.getByRole("button", { name: "Sign in" }).click();
  }

  role(): Locator {
    return this.page.getByTestId("current-role");
  }

  nav(): Locator {
    return this.page.getByRole("navigation", { name: "Main" });
  }

  async signOut(): Promise<void> {
    await this.page.getByRole("button", { name: "Sign out" }).click();
    await this.page.getByLabel("API key").waitFor();
  }

  field(name: string): Locator {
    return this.page.locator(`[data-field="${name}"]`);
  }

  fieldError(name: string): Locator {
    // JSON quoting is valid CSS string quoting, so map keys (parameters["topic"]) work too.
    return this.page.locator(`[data-field-error=${JSON.stringify(name)}]`);
  }

  alert(): Locator {
    return this.page.getByRole("alert");
  }

  /** Fills the shared job-spec fields (new run and job editor). */
  async fillSpec(spec: {
    agent?: string;
    prompt?: string;
    provider?: string;
    model?: string;
    requiredLabels?: Record<string, string>;
    maxAttempts?: number;
    timeoutSeconds?: number;
    repository?: { url: string; ref?: string; branch?: string; push?: boolean };
    setupScript?: string;
    artifactPaths?: string[];
  }) {
    const p = this.page;
    if (spec.agent) await p.getByRole("combobox", { name: "Agent" }).selectOption(spec.agent);
    if (spec.prompt !== undefined) await this.field("spec.prompt").locator("textarea").fill(spec.prompt);
    if (spec.provider) await p.getByRole("combobox", { name: "Provider" }).selectOption(spec.provider);
    if (spec.model) await p.getByRole("combobox", { name: "Model" }).fill(spec.model);
    if (spec.maxAttempts !== undefined) await p.getByRole("spinbutton", { name: "Attempts" }).fill(String(spec.maxAttempts));
    if (spec.timeoutSeconds !== undefined) await p.getByRole("spinbutton", { name: "Timeout (seconds)" }).fill(String(spec.timeoutSeconds));
    if (spec.repository) {
      await p.getByRole("textbox", { name: "Repository URL" }).fill(spec.repository.url);
      if (spec.repository.ref) await p.getByRole("textbox", { name: "Ref" }).fill(spec.repository.ref);
      if (spec.repository.branch) await p.getByRole("textbox", { name: "Work branch" }).fill(spec.repository.branch);
      if (spec.repository.push) await p.getByRole("checkbox", { name: /^Push the work branch/ }).check();
    }
    if (spec.setupScript !== undefined) await p.getByRole("textbox", { name: "Setup script" }).fill(spec.setupScript);
    if (spec.artifactPaths) await p.getByRole("textbox", { name: "Artifact globs" }).fill(spec.artifactPaths.join("\n"));
    for (const [k, v] of Object.entries(spec.requiredLabels ?? {})) {
      const group = this.field("spec.required_labels");
      await group.getByRole("button", { name: "+ Label" }).click();
      const n = await group.getByRole("textbox", { name: /name$/ }).count();
      await group.getByRole("textbox", { name: `Required labels ${n} name` }).fill(k);
      await group.getByRole("textbox", { name: `Required labels ${n} value` }).fill(v);
    }
  }

  /** Queues an ad-hoc run through the form and returns its id from the run page's URL. */
  async queueRun(spec: Parameters<DashboardApp["fillSpec"]>[0] & { name?: string }): Promise<string> {
    await this.goto("/runs/new");
    if (spec.name) await this.page.getByRole("textbox", { name: "Name", exact: true }).fill(spec.name);
    await this.fillSpec(spec);
    await this.page.getByRole("button", { name: "Queue run" }).click();
    await this.page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    return this.page.url().split("/").at(-1)!;
  }

  runStatus(): Locator {
    return this.page.locator("[data-status]").first();
  }

  async waitForRunStatus(label: string, timeout = 60_000): Promise<void> {
    await this.page.locator(`[data-status="${label}"]`).first().waitFor({ timeout });
  }

  logLineCount(): Locator {
    return this.page.getByTestId("log-line-count");
  }

  logLines(): Locator {
    return this.page.locator("[data-line]");
  }

  logScroller(): Locator {
    return this.page.locator("[data-log-scroller]");
  }

  /** Drops files on `target` as a user dragging them from the file manager would (a synthetic DataTransfer). */
  async dropFiles(target: Locator, files: { name: string; bytes: Buffer; type?: string }[]): Promise<void> {
    const payload = files.map((f) => ({ name: f.name, type: f.type ?? "application/octet-stream", base64: f.bytes.toString("base64") }));
    const dataTransfer = await this.page.evaluateHandle((fs) => {
      const dt = new DataTransfer();
      for (const f of fs) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
      return dt;
    }, payload);
    await target.dispatchEvent("dragover", { dataTransfer });
    await target.dispatchEvent("drop", { dataTransfer });
    await dataTransfer.dispose();
  }

  /** Adds a parameter in the job form's Parameters editor (the nth, from 1). */
  async addParameter(n: number, p: { name: string; description?: string; required?: boolean; defaultValue?: string }): Promise<void> {
    const group = this.field("spec.parameters");
    await group.getByRole("button", { name: "+ Parameter" }).click();
    const row = group.locator(`[data-parameter="${n - 1}"]`);
    await row.getByRole("textbox", { name: `Parameter ${n} name` }).fill(p.name);
    if (p.description) await row.getByRole("textbox", { name: `Parameter ${n} description` }).fill(p.description);
    if (p.required) await row.getByRole("checkbox", { name: "Required" }).check();
    else if (p.defaultValue !== undefined) await row.getByRole("textbox", { name: `Parameter ${n} default` }).fill(p.defaultValue);
  }

  /** Sets the nth (from 1) plain environment variable in the job form, adding its row. */
  async addEnv(n: number, name: string, value: string): Promise<void> {
    const group = this.field("spec.env");
    await group.getByRole("button", { name: "+ Variable" }).click();
    await group.getByRole("textbox", { name: `Environment variables ${n} name` }).fill(name);
    await group.getByRole("textbox", { name: `Environment variables ${n} value` }).fill(value);
  }

  async createJob(job: { name: string; description?: string } & Parameters<DashboardApp["fillSpec"]>[0]): Promise<string> {
    await this.goto("/jobs/new");
    await this.page.getByRole("textbox", { name: "Name", exact: true }).fill(job.name);
    if (job.description) await this.page.getByRole("textbox", { name: "Description" }).fill(job.description);
    await this.fillSpec(job);
    await this.page.getByRole("button", { name: "Create job" }).click();
    await this.page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    return this.page.url().split("/").at(-1)!;
  }
}
