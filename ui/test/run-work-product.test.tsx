import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { create } from "@bufbuild/protobuf";
import { ArtifactKind, ArtifactSchema } from "../src/gen/flightcontrol/v1/artifact_pb";
import { RunSchema, RunService, RunStatus, TriggerKind, type ContinueRunRequest, type Run } from "../src/gen/flightcontrol/v1/run_pb";
import { RunDetailPage } from "../src/pages/RunDetailPage";
import { mockTransport, renderPage, TEST_KEY } from "./support/render";
import { untilAborted } from "./support/streams";

const PARENT = "0198a0c2-1111-7000-8000-00000000aaaa";
const CHILD = "0198a0c2-2222-7000-8000-00000000bbbb";
const OTHER = "0198a0c2-3333-7000-8000-00000000cccc";
const DIFF_ID = "0198a0c2-4444-7000-8000-00000000dddd";

const DIFF = [
  "diff --git a/src/app.ts b/src/app.ts",
  "index 83db48f..a16f0f7 100644",
  "--- a/src/app.ts",
  "+++ b/src/app.ts",
  "@@ -1,2 +1,2 @@",
  " const a = 1;",
  '-export const greeting = "hello";',
  '+export const greeting = "hello, world";',
  "diff --git a/logo.png b/logo.png",
  "index f584f40..6bf43ff 100644",
  "Binary files a/logo.png and b/logo.png differ",
  "",
].join("\n");

const runs: Record<string, Run> = {
  [PARENT]: create(RunSchema, {
    id: PARENT,
    status: RunStatus.SUCCEEDED,
    attempt: 1,
    jobName: "Greet the world",
    spec: { agent: "goose", prompt: "greet", repository: { url: "git@example.com:acme/app.git", push: true } },
    changes: {
      baseCommit: "a".repeat(40),
      headCommit: "b".repeat(40),
      branch: "fc/0198a0c2",
      pushed: true,
      filesChanged: 2,
      insertions: 1,
      deletions: 1,
    },
  }),
  [CHILD]: create(RunSchema, {
    id: CHILD,
    status: RunStatus.QUEUED,
    jobName: "Greet the world",
    parentRunId: PARENT,
    trigger: TriggerKind.FOLLOW_UP,
  }),
};

function transport(continued: ContinueRunRequest[]) {
  return mockTransport((r) =>
    r.service(RunService, {
      async *watchRun(req, ctx) {
        const { spec: _spec, ...basic } = runs[req.runId]!;
        yield { run: create(RunSchema, basic) };
        await untilAborted(ctx.signal);
      },
      getRun: (req) => ({ run: runs[req.id] }),
      listArtifacts: (req) => ({
        artifacts:
          req.runId === PARENT
            ? [
                create(ArtifactSchema, {
                  id: DIFF_ID,
                  runId: PARENT,
                  name: "changes.diff",
                  kind: ArtifactKind.CHANGES,
                  sizeBytes: BigInt(DIFF.length),
                  contentType: "text/x-diff",
                }),
                create(ArtifactSchema, { id: OTHER, runId: PARENT, name: "session.jsonl", kind: ArtifactKind.SESSION, sizeBytes: 10n }),
              ]
            : [],
      }),
      // A run listed that is not a follow-up stands for a server that ignores the filter.
      listRuns: (req) => ({ runs: req.parentRunId === PARENT ? [runs[CHILD]!, create(RunSchema, { id: OTHER, jobName: "Unrelated" })] : [] }),
      continueRun: (req) => {
        continued.push(req);
        return { run: runs[CHILD] };
      },
    }),
  );
}

afterEach(() => vi.unstubAllGlobals());

// The first test loads the Changes tab's chunk (react-diff-view, refractor) through Vite: seconds on a
// loaded machine, hence the longer limit.
describe("a run's work product on the run page", { timeout: 15_000 }, () => {
  it("shows the pushed branch, and the Changes tab renders the diff fetched with the key in a header", async () => {
    const user = userEvent.setup();
    const fetch = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) => new Response(DIFF, { status: 200 }));
    vi.stubGlobal("fetch", fetch);
    renderPage(<RunDetailPage />, { transport: transport([]), path: `/runs/${PARENT}`, pattern: "/runs/:id" });

    expect(await screen.findByTestId("run-branch")).toHaveTextContent("fc/0198a0c2");
    expect(screen.getByTestId("pushed-badge")).toBeInTheDocument();
    expect(screen.getByTestId("run-commits")).toHaveTextContent("aaaaaaaa → bbbbbbbb");

    await user.click(await screen.findByRole("tab", { name: "Changes (2)" }));
    const view = await screen.findByTestId("changes-view", {}, { timeout: 5000 });
    expect(String(fetch.mock.calls[0]![0])).toMatch(new RegExp(`/artifacts/${DIFF_ID}$`));
    expect(new Headers(fetch.mock.calls[0]![1]?.headers).get("Authorization")).toBe(`Bearer ${TEST_KEY}`);
    expect(within(view).getByText("src/app.ts", { selector: "[data-file-row] span" })).toBeInTheDocument();
    expect(view.querySelector('[data-diff-file="logo.png"] [data-binary]')).not.toBeNull();
    expect(view.querySelector('[data-diff-file="src/app.ts"] .diff-code-insert')).toHaveTextContent('export const greeting = "hello, world";');
    expect(view.querySelector("table.diff-unified")).not.toBeNull();
    await user.click(screen.getByRole("button", { name: "Split" }));
    expect(view).toHaveAttribute("data-view-type", "split");
    expect(view.querySelector("table.diff-split")).not.toBeNull();
  });

  it("lists the run's artifacts without the session state", async () => {
    const user = userEvent.setup();
    renderPage(<RunDetailPage />, { transport: transport([]), path: `/runs/${PARENT}`, pattern: "/runs/:id" });
    await user.click(await screen.findByRole("tab", { name: "Artifacts (1)" }));
    const table = await screen.findByTestId("artifact-table", {}, { timeout: 5000 });
    expect([...table.querySelectorAll("[data-artifact-name]")].map((r) => r.getAttribute("data-artifact-name"))).toEqual(["changes.diff"]);
  });

  it("continues a finished run with ContinueRun, opens the new run, and lists only real follow-ups", async () => {
    const user = userEvent.setup();
    const continued: ContinueRunRequest[] = [];
    renderPage(<RunDetailPage />, { transport: transport(continued), path: `/runs/${PARENT}`, pattern: "/runs/:id" });

    const list = await screen.findByTestId("follow-ups");
    expect(
      within(list)
        .getAllByRole("link")
        .map((a) => a.getAttribute("href")),
    ).toEqual([`/runs/${CHILD}`]);

    const box = screen.getByRole("textbox", { name: "What should the agent do next?" });
    expect(screen.getByRole("button", { name: "Continue" })).toBeDisabled();
    await user.type(box, "Also handle the empty name.");
    await user.click(screen.getByRole("button", { name: "Continue" }));
    await waitFor(() => expect(continued).toHaveLength(1));
    expect(continued[0]).toMatchObject({ id: PARENT, prompt: "Also handle the empty name." });
    // The new run's page: its own header, linked back to the run it follows up.
    const parentLink = await screen.findByTestId("parent-run");
    expect(parentLink).toHaveAttribute("href", `/runs/${PARENT}`);
    expect(screen.queryByTestId("run-branch")).toBeNull();
  });
});
