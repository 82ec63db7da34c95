import { describe, expect, it } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import type { Transport } from "@connectrpc/connect";
import { AppProviders, AuthGate } from "../src/App";
import { Role } from "../src/gen/flightcontrol/v1/api_key_pb";
import { setApiKey } from "../src/lib/auth-store";
import { chooseWorkspace } from "../src/lib/workspace-choice";
import { getWorkspaceId, rememberedWorkspace, rememberWorkspace } from "../src/lib/workspace-store";
import { testQueryClient } from "./support/render";
import { ALPHA_ID, BETA_ID, DEFAULT_ID, fakeWorkspaceServer } from "./support/workspace-server";

// The test key's id (support/render.ts apiKey), under which its choice is remembered.
const KEY_IDENTITY = "key:00000000-0000-4000-8000-000000000001";

function renderApp(transport: Transport, path = "/runs") {
  return render(
    <AppProviders transport={transport} queryClient={testQueryClient()}>
      <MemoryRouter initialEntries={[path]}>
        <AuthGate />
      </MemoryRouter>
    </AppProviders>,
  );
}

const shownRuns = () => [...document.querySelectorAll("[data-run-id]")].map((e) => e.getAttribute("data-run-id"));
const nav = () => screen.getByRole("navigation", { name: "Main" });

describe("chooseWorkspace", () => {
  const listed = [{ id: "a" }, { id: "b" }];
  it("keeps the remembered workspace while it is listed, else falls back to the first listed", () => {
    expect(chooseWorkspace(listed, "b", "a")).toBe("b");
    expect(chooseWorkspace(listed, "gone", "b")).toBe("a");
    expect(chooseWorkspace([], "b", "a")).toBeUndefined();
  });
  it("with nothing remembered, stays where the server put the request", () => {
    expect(chooseWorkspace(listed, null, "b")).toBe("b");
    expect(chooseWorkspace(listed, null, "not-listed")).toBe("a");
  });
});

describe("workspace switcher", () => {
  it("falls back to the first listed workspace when the remembered one is gone, and acts in it", async () => {
    const server = fakeWorkspaceServer();
    setApiKey("admin-key");
    rememberWorkspace(KEY_IDENTITY, "0198a000-0000-7000-8000-00000000dead");
    renderApp(server.transport);
    const switcher = await screen.findByRole("combobox", { name: "Workspace" });
    expect(switcher).toHaveValue(ALPHA_ID);
    await waitFor(() => expect(shownRuns()).toEqual([`run-${ALPHA_ID}`]));
    expect(server.calls.listRuns).toEqual([ALPHA_ID]);
    expect(getWorkspaceId()).toBe(ALPHA_ID);
    expect(rememberedWorkspace(KEY_IDENTITY)).toBe(ALPHA_ID);
  });

  it("switching shows only the new workspace's runs and reopens the live stream there", async () => {
    const server = fakeWorkspaceServer();
    setApiKey("admin-key");
    rememberWorkspace(KEY_IDENTITY, ALPHA_ID);
    renderApp(server.transport);
    await waitFor(() => expect(shownRuns()).toEqual([`run-${ALPHA_ID}`]));
    await waitFor(() => expect(server.calls.watchRunsOpened).toEqual([ALPHA_ID]));

    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Workspace" }), "beta");
    await waitFor(() => expect(shownRuns()).toEqual([`run-${BETA_ID}`]));
    await waitFor(() => expect(server.calls.watchRunsOpened).toEqual([ALPHA_ID, BETA_ID]));
    await waitFor(() => expect(server.calls.watchRunsClosed).toEqual([ALPHA_ID]));
    // Every ListRuns after the switch was made in beta: no page kept alpha's query.
    expect(server.calls.listRuns).toEqual([ALPHA_ID, BETA_ID]);
    expect(rememberedWorkspace(KEY_IDENTITY)).toBe(BETA_ID);
  });

  it("shows a plain label when the caller can act in one workspace only", async () => {
    const server = fakeWorkspaceServer({ workspaces: [{ id: BETA_ID, name: "beta" }] });
    setApiKey("admin-key");
    renderApp(server.transport);
    expect(await screen.findByTestId("current-workspace")).toHaveTextContent("beta");
    expect(screen.queryByRole("combobox", { name: "Workspace" })).toBeNull();
  });

  it("names the workspace on the dashboard", async () => {
    const server = fakeWorkspaceServer({
      workspaces: [
        { id: DEFAULT_ID, name: "default" },
        { id: BETA_ID, name: "beta" },
      ],
      instanceAdmin: true,
    });
    setApiKey("admin-key");
    renderApp(server.transport, "/");
    // Nothing remembered: an instance admin stays in default, where the server put it.
    expect(await screen.findByTestId("dashboard-workspace")).toHaveTextContent("default");
  });
});

describe("roles per workspace", () => {
  it("takes permissions from WhoAmI's role in the workspace, not the key's own role", async () => {
    const server = fakeWorkspaceServer({ roles: { [ALPHA_ID]: Role.VIEWER, [BETA_ID]: Role.OPERATOR } });
    setApiKey("admin-key");
    rememberWorkspace(KEY_IDENTITY, ALPHA_ID);
    renderApp(server.transport);
    await waitFor(() => expect(screen.getByTestId("current-role")).toHaveTextContent("viewer"));
    expect(screen.queryByRole("link", { name: "+ New run" })).toBeNull();
    expect(nav()).toHaveTextContent("Members");
    expect(nav()).not.toHaveTextContent("Credentials");

    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Workspace" }), "beta");
    await waitFor(() => expect(screen.getByTestId("current-role")).toHaveTextContent("operator"));
    expect(screen.getByRole("link", { name: "+ New run" })).toBeInTheDocument();
  });

  it("shows Workspaces to instance admins only", async () => {
    const admin = fakeWorkspaceServer({ instanceAdmin: true });
    setApiKey("admin-key");
    const { unmount } = renderApp(admin.transport);
    await waitFor(() => expect(nav()).toHaveTextContent("Workspaces"));
    unmount();
    renderApp(fakeWorkspaceServer({ instanceAdmin: false }).transport);
    await waitFor(() => expect(nav()).toHaveTextContent("Members"));
    expect(nav()).not.toHaveTextContent("Workspaces");
  });
});

describe("signed in by session", () => {
  const person = { id: "p1", email: "ada@example.com", name: "Ada Lovelace" };

  it("finds the session without a key and shows the person", async () => {
    const server = fakeWorkspaceServer({ person });
    renderApp(server.transport);
    await waitFor(() => expect(screen.getByTestId("current-identity")).toHaveTextContent("Ada Lovelace"));
    expect(within(screen.getByRole("complementary")).getByText("ada@example.com")).toBeInTheDocument();
    await waitFor(() => expect(shownRuns()).toEqual([`run-${ALPHA_ID}`]));
  });

  it("goes back to the sign-in page when the server stops accepting the session", async () => {
    const server = fakeWorkspaceServer({ person });
    const user = userEvent.setup();
    renderApp(server.transport);
    await waitFor(() => expect(shownRuns()).toEqual([`run-${ALPHA_ID}`]));
    server.endSession();
    // The next request (a switch asks WhoAmI in the new workspace) is refused.
    await user.selectOptions(screen.getByRole("combobox", { name: "Workspace" }), "beta");
    expect(await screen.findByLabelText("API key")).toBeInTheDocument();
  });
});
