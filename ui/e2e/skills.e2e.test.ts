import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { skillMd, tarGzOf, zipOf } from "../../server/test/skills/archives";
import type { DashboardApp } from "./support/app";
import { rpc } from "./support/api";
import { openDashboard, type Dashboard } from "./support/dashboard";
import { shoot } from "./support/screenshot";

// Skills and parameters through the dashboard, on a real server and worker with the claude fake:
// a skill dropped on the Skills page as a zip, a new version from a .tar.gz, a job with a
// parameter, an env variable and the skill made in the form, triggered through the parameters
// form; the run shows the resolved prompt and the skill version, and the fake lists the skill
// where Claude Code finds it. Also shoots the README's Skills screenshots.

const SKILL_MD = `---
name: pdf-tools
description: Extracts text and tables from PDF files. Use when a task mentions a PDF.
license: Apache-2.0
metadata:
  author: docs-team
---

# PDF tools

Run \`scripts/extract.sh <file>\` to get the text of a PDF.

## Tables
- Use \`references/tables.md\` for the table layout rules.

<b>raw html is not rendered</b>
`;

const V1 = [
  { path: "pdf-tools/SKILL.md", content: SKILL_MD },
  { path: "pdf-tools/scripts/extract.sh", content: '#!/bin/sh\npdftotext "$1" -\n', mode: 0o755 },
  { path: "pdf-tools/references/tables.md", content: "Tables keep their header row.\n" },
];
const V2 = [...V1, { path: "pdf-tools/references/forms.md", content: "Form fields are listed by name.\n" }];

let dashboard: Dashboard;
let page: Page;
let app: DashboardApp;
let skillId: string;
let jobId: string;
let runId: string;

beforeAll(async () => {
  dashboard = await openDashboard({ workers: [{ name: "skills-runner", capacity: 2 }], signedIn: true });
  ({ page, app } = dashboard);
  // A second skill for the list, made through the API.
  await rpc(dashboard.stack.url, dashboard.stack.adminKey, "SkillService/CreateSkill", {
    files: [
      { path: "SKILL.md", content: Buffer.from(skillMd("code-review", "Reviews a change for naming, tests and error handling.")).toString("base64") },
      { path: "scripts/run.sh", content: Buffer.from("#!/bin/sh\necho reviewing\n").toString("base64") },
    ],
  });
});

afterAll(async () => {
  await dashboard?.close();
});

describe("skills and parameters in the dashboard", () => {
  it("a skill that breaks the specification is refused with the server's message, and nothing is stored", async () => {
    await app.goto("/skills");
    await page.getByTestId("skill-table").locator("tr", { hasText: "code-review" }).waitFor();
    const bad = zipOf([{ path: "SKILL.md", content: skillMd("PDF-Tools") }]);
    await app.dropFiles(page.getByTestId("skill-drop-zone"), [{ name: "bad.zip", bytes: bad, type: "application/zip" }]);
    await expect(app.alert().textContent()).resolves.toMatch(/SKILL\.md.*name.*"PDF-Tools" must be lowercase/);
    await expect(page.getByTestId("skill-table").locator("tbody tr").count()).resolves.toBe(1);
  });

  it("a zip dropped on the Skills page becomes a skill; its page shows the files, SKILL.md as Markdown and version 1", async () => {
    await app.dropFiles(page.getByTestId("skill-drop-zone"), [{ name: "pdf-tools.zip", bytes: zipOf(V1), type: "application/zip" }]);
    await page.waitForURL(/\/skills\/[0-9a-f-]{36}$/);
    skillId = page.url().split("/").at(-1)!;
    await page.getByRole("heading", { name: "pdf-tools" }).waitFor();
    const md = page.getByTestId("skill-md");
    await md.getByRole("heading", { name: "PDF tools" }).waitFor();
    await md.locator("code", { hasText: "scripts/extract.sh <file>" }).waitFor();
    // Front matter is not rendered as text, and raw HTML stays text.
    await expect(md.textContent()).resolves.not.toContain("description:");
    await expect(md.locator("b").count()).resolves.toBe(0);
    for (const f of ["SKILL.md", "scripts/extract.sh", "references/tables.md"]) await page.locator(`[data-skill-file="${f}"]`).waitFor();
    await expect(page.locator('[data-skill-file="scripts/extract.sh"]').textContent()).resolves.toMatch(/^extract\.shx/);
    await expect(page.getByTestId("skill-versions").locator("li").count()).resolves.toBe(1);
  });

  it("a .tar.gz uploaded as a new version becomes version 2; version 1 stays viewable", async () => {
    await page.getByRole("button", { name: "Upload new version" }).click();
    await page.getByLabel("Skill archive").setInputFiles({ name: "pdf-tools.tar.gz", mimeType: "application/gzip", buffer: tarGzOf(V2) });
    await page.locator('[data-skill-file="references/forms.md"]').waitFor();
    await page.getByRole("heading", { name: "Version 2" }).waitFor();
    await expect(page.getByTestId("skill-versions").locator("li").count()).resolves.toBe(2);
    await shoot(page, "skill-detail");
    await page.getByTestId("skill-versions").getByRole("link", { name: "v1" }).click();
    await page.getByText("Showing version 1; the latest is 2.").waitFor();
    await expect(page.locator('[data-skill-file="references/forms.md"]').count()).resolves.toBe(0);

    await app.goto("/skills");
    await page.getByTestId("skill-table").locator(`[data-skill-id="${skillId}"]`, { hasText: "v2" }).waitFor();
    await shoot(page, "skills");
  });

  it("the job form checks placeholders and warns about secret-looking variables, then creates a job with a parameter, env and the skill", async () => {
    await app.goto("/jobs/new");
    await page.getByRole("textbox", { name: "Name", exact: true }).fill("pdf-review");
    await app.fillSpec({ agent: "claude-code", prompt: "Review {{ topic }} using the pdf-tools skill." });
    await page.getByRole("button", { name: "Create job" }).click();
    await expect(app.fieldError("spec.prompt").textContent()).resolves.toBe(
      '{{topic}} names no parameter: add a parameter "topic" or remove the placeholder.',
    );

    await app.addParameter(1, { name: "topic", description: "What to review", required: true });
    await app.addEnv(1, "API_TOKEN", "x");
    await app.field("spec.env").getByText("API_TOKEN looks like a secret").waitFor();
    await app.field("spec.env").getByRole("textbox", { name: "Environment variables 1 name" }).fill("FAKE_CLAUDE_LIST_SKILLS");
    await app.field("spec.env").getByRole("textbox", { name: "Environment variables 1 value" }).fill("1");
    await expect(app.field("spec.env").locator("[data-row-warning]").count()).resolves.toBe(0);
    await page
      .getByRole("group", { name: "Skills" })
      .getByRole("checkbox", { name: /pdf-tools/ })
      .check();

    await page.getByRole("button", { name: "Create job" }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    jobId = page.url().split("/").at(-1)!;
    const spec = page.getByTestId("job-spec");
    await spec.getByTestId("spec-parameters").getByText("topic").waitFor();
    await spec.getByRole("link", { name: "pdf-tools" }).waitFor();
  });

  it("Run now opens the parameters form; a missing required value is named; the run gets the value", async () => {
    await page.getByRole("button", { name: "▶ Run now" }).click();
    const form = page.getByRole("form", { name: "Run with parameters" });
    await form.getByText("What to review").waitFor();
    await form.getByRole("button", { name: "▶ Run" }).click();
    await expect(app.fieldError('parameters["topic"]').textContent()).resolves.toBe("topic is required; give it a value.");
    await form.getByRole("textbox", { name: /topic/ }).fill("the invoice parser");
    await form.getByRole("button", { name: "▶ Run" }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    runId = page.url().split("/").at(-1)!;
    await app.waitForRunStatus("succeeded");
  });

  it("the run page shows the value, the resolved prompt and the skill version; the agent found the skill in .claude/skills", async () => {
    await expect(page.getByTestId("run-parameters").textContent()).resolves.toBe("topic=the invoice parser");
    await expect(page.getByTestId("resolved-prompt").textContent()).resolves.toBe("Review the invoice parser using the pdf-tools skill.");
    await expect(page.getByTestId("run-skills").textContent()).resolves.toBe("pdf-tools@2");
    await page.locator("[data-line]", { hasText: "skill pdf-tools dir=.claude/skills/pdf-tools files=4" }).first().waitFor();
    await expect(page.locator("[data-line]", { hasText: "skill pdf-tools" }).first().textContent()).resolves.toContain(
      "executable=scripts/extract.sh",
    );

    await app.goto(`/jobs/${jobId}`);
    await expect(page.locator(`[data-run-id="${runId}"] [data-testid="run-parameter-values"]`).textContent()).resolves.toBe(
      "topic=the invoice parser",
    );
  });

  it("Edit & run again starts from the resolved prompt and queues without asking for the values again", async () => {
    await app.goto(`/runs/${runId}`);
    await page.getByRole("link", { name: "Edit & run again" }).click();
    await page.waitForFunction(
      () =>
        document.querySelector<HTMLTextAreaElement>("[data-field='spec.prompt'] textarea")?.value ===
        "Review the invoice parser using the pdf-tools skill.",
    );
    await page.getByRole("button", { name: "Queue run" }).click();
    await page.waitForURL((u) => /\/runs\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(runId));
    await app.waitForRunStatus("succeeded");
    await expect(page.getByTestId("run-skills").textContent()).resolves.toBe("pdf-tools@2");
  });

  it("a Goose recipe imported on the Jobs page opens as a goose job; Export as recipe downloads it with the same parameters", async () => {
    const recipe = [
      'version: "1.0.0"',
      "title: Release notes",
      "description: Drafts release notes",
      "prompt: Draft release notes for {{ version }} in {{ tone }} tone.",
      "parameters:",
      "  - key: version",
      "    input_type: string",
      "    requirement: required",
      "    description: The version to describe",
      "  - key: tone",
      "    input_type: select",
      "    requirement: optional",
      "    default: plain",
      "    options: [plain, upbeat]",
      "",
    ].join("\n");
    await app.goto("/jobs");
    await page.getByRole("button", { name: "Import Goose recipe" }).click();
    const form = page.getByRole("form", { name: "Import Goose recipe" });
    await form.getByRole("textbox", { name: "Recipe" }).fill(recipe);
    await form.getByRole("button", { name: "Import as job" }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await page.getByRole("heading", { name: "Release notes" }).waitFor();
    await page.getByTestId("spec-parameters").getByText("upbeat", { exact: false }).waitFor();

    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export as recipe" }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe("Release notes.yaml");
    const text = await readFile((await file.path())!, "utf8");
    expect(text).toMatch(/title: Release notes/);
    expect(text).toMatch(/key: version[\s\S]*requirement: required/);
    expect(text).toMatch(/key: tone[\s\S]*options:/);
  });

  it("a skill a job uses cannot be deleted: the server's reason is shown", async () => {
    await app.goto(`/skills/${skillId}`);
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Delete every version?" }).click();
    await expect(app.alert().textContent()).resolves.toMatch(/pdf-review/);
    expect(dashboard.pageErrors).toEqual([]);
  });
});
