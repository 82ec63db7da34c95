import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Code, ConnectError } from "@connectrpc/connect";
import { ApiKeyService, Role } from "../src/gen/flightcontrol/v1/api_key_pb";
import { WorkspaceService, type Workspace, type CreateWorkspaceRequest, type UpdateWorkspaceRequest } from "../src/gen/flightcontrol/v1/workspace_pb";
import { WorkspacesPage } from "../src/pages/WorkspacesPage";
import { apiKey, mockTransport, renderPage } from "./support/render";
import { DEFAULT_ID, workspace } from "./support/workspace-server";

const TEAM_ID = "0198a000-0000-7000-8000-0000000000c3";

/** The instance's workspaces; team holds a job, so deleting it needs the cascade. */
function workspacesServer(instanceAdmin: boolean) {
  const all = new Map<string, Workspace>([
    [DEFAULT_ID, workspace(DEFAULT_ID, "default")],
    [TEAM_ID, workspace(TEAM_ID, "team")],
  ]);
  const created: CreateWorkspaceRequest[] = [];
  const updated: UpdateWorkspaceRequest[] = [];
  const transport = mockTransport((r) => {
    r.service(ApiKeyService, { whoAmI: () => ({ apiKey: apiKey(Role.ADMIN), workspaceId: DEFAULT_ID, role: Role.ADMIN, instanceAdmin }) });
    r.service(WorkspaceService, {
      listWorkspaces: () => ({ workspaces: [...all.values()].sort((a, b) => a.name.localeCompare(b.name)) }),
      createWorkspace(req) {
        created.push(req);
        const w = {
          ...workspace("0198a000-0000-7000-8000-0000000000d4", req.name),
          maxConcurrentRuns: req.maxConcurrentRuns,
          maxQueuedRuns: req.maxQueuedRuns,
        };
        all.set(w.id, w);
        return { workspace: w };
      },
      updateWorkspace(req) {
        updated.push(req);
        const w = { ...all.get(req.id)! };
        if (req.name !== undefined) w.name = req.name;
        if (req.maxConcurrentRuns !== undefined) w.maxConcurrentRuns = req.maxConcurrentRuns;
        if (req.maxQueuedRuns !== undefined) w.maxQueuedRuns = req.maxQueuedRuns;
        all.set(w.id, w);
        return { workspace: w };
      },
      deleteWorkspace(req) {
        if (!req.cascade) throw new ConnectError("the workspace still holds 1 job; delete it with cascade", Code.FailedPrecondition);
        all.delete(req.id);
        return {};
      },
    });
  }, null);
  return { transport, all, created, updated };
}

const row = (name: string) => screen.getByText(name, { selector: "td" }).closest("tr") as HTMLElement;

describe("workspaces page", () => {
  it("is for instance admins only", async () => {
    renderPage(<WorkspacesPage />, { transport: workspacesServer(false).transport });
    expect(await screen.findByRole("heading", { name: "Not available" })).toBeInTheDocument();
  });

  it("creates a workspace with limits, left empty for none", async () => {
    const { transport, created } = workspacesServer(true);
    const user = userEvent.setup();
    renderPage(<WorkspacesPage />, { transport });
    await user.click(await screen.findByRole("button", { name: "New workspace" }));
    const form = screen.getByRole("form", { name: "New workspace" });
    await user.type(within(form).getByRole("textbox", { name: "Name" }), "research");
    await user.type(within(form).getByRole("spinbutton", { name: "Max concurrent runs" }), "5");
    await user.click(within(form).getByRole("button", { name: "Create workspace" }));
    await waitFor(() => expect(row("research")).toHaveTextContent("5"));
    expect(row("research")).toHaveTextContent("no limit");
    expect(created).toEqual([expect.objectContaining({ name: "research", maxConcurrentRuns: 5, maxQueuedRuns: 0 })]);
  });

  it("renames and re-limits a workspace", async () => {
    const { transport, all, updated } = workspacesServer(true);
    const user = userEvent.setup();
    renderPage(<WorkspacesPage />, { transport });
    await user.click(within(await waitFor(() => row("team"))).getByRole("button", { name: "Edit" }));
    const form = screen.getByRole("form", { name: "Edit team" });
    await user.clear(within(form).getByRole("textbox", { name: "Name" }));
    await user.type(within(form).getByRole("textbox", { name: "Name" }), "platform");
    await user.type(within(form).getByRole("spinbutton", { name: "Max queued runs" }), "100");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(row("platform")).toHaveTextContent("100"));
    expect(all.get(TEAM_ID)).toMatchObject({ name: "platform", maxQueuedRuns: 100, maxConcurrentRuns: 0 });
    // Only what changed is sent: the unchanged limit is left unset.
    expect(updated[0]?.maxConcurrentRuns).toBeUndefined();
  });

  it("deletes only with the cascade when the workspace holds anything, and never default", async () => {
    const { transport, all } = workspacesServer(true);
    const user = userEvent.setup();
    renderPage(<WorkspacesPage />, { transport });
    await waitFor(() => row("default"));
    expect(within(row("default")).queryByRole("button", { name: "Delete" })).toBeNull();

    await user.click(within(row("team")).getByRole("button", { name: "Delete" }));
    const form = screen.getByRole("form", { name: "Delete team" });
    await user.click(within(form).getByRole("button", { name: "Delete workspace" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("still holds 1 job");
    await user.click(within(form).getByRole("checkbox", { name: /Also delete everything in it/ }));
    await user.click(within(form).getByRole("button", { name: "Delete workspace" }));
    await waitFor(() => expect(screen.queryByText("team", { selector: "td" })).toBeNull());
    expect(all.has(TEAM_ID)).toBe(false);
  });
});
