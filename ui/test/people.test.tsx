import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createRouterTransport } from "@connectrpc/connect";
import { AppProviders, AuthGate } from "../src/App";
import { ApiKeyService, PersonSchema, Role, type Person } from "../src/gen/flightcontrol/v1/api_key_pb";
import { PersonService, type DeletePersonRequest, type EndSessionsRequest } from "../src/gen/flightcontrol/v1/person_pb";
import { WorkspaceService } from "../src/gen/flightcontrol/v1/workspace_pb";
import { setApiKey } from "../src/lib/auth-store";
import { authInterceptor } from "../src/lib/transport";
import { apiKey, testQueryClient } from "./support/render";
import { DEFAULT_ID, workspace } from "./support/workspace-server";

const ME = "0198a000-0000-7000-8000-0000000000e1";
const BOB = "0198a000-0000-7000-8000-0000000000e2";

const person = (id: string, email: string, activeSessions: number, instanceAdmin = false): Person =>
  create(PersonSchema, {
    id,
    email,
    name: email.split("@")[0],
    instanceAdmin,
    activeSessions,
    createTime: timestampFromMs(Date.now() - 3 * 86_400_000),
    lastSignInTime: timestampFromMs(Date.now() - 3_600_000),
  });

/**
 * The control plane as a signed-in person (session cookie: no key) sees it: WhoAmI describes them,
 * and PersonService keeps the people the page lists, recording what it is asked to change.
 */
function peopleServer({ instanceAdmin }: { instanceAdmin: boolean }) {
  const people = new Map([
    [ME, person(ME, "ada@example.com", 1, instanceAdmin)],
    [BOB, person(BOB, "bob@example.com", 2)],
  ]);
  const ended: EndSessionsRequest[] = [];
  const deleted: DeletePersonRequest[] = [];
  const transport = createRouterTransport(
    (router) => {
      router.service(ApiKeyService, {
        // A key (Authorization) is the key; without one, the session cookie's person.
        whoAmI: (_req, ctx) => ({
          ...(ctx.requestHeader.get("Authorization") ? { apiKey: apiKey(Role.ADMIN) } : { person: people.get(ME) }),
          workspaceId: DEFAULT_ID,
          role: Role.ADMIN,
          instanceAdmin,
        }),
      });
      router.service(WorkspaceService, { listWorkspaces: () => ({ workspaces: [workspace(DEFAULT_ID, "default")] }) });
      router.service(PersonService, {
        listPeople: () => ({ people: [...people.values()].sort((a, b) => a.email.localeCompare(b.email)) }),
        endSessions(req) {
          ended.push(req);
          const p = people.get(req.personId)!;
          people.set(p.id, { ...p, activeSessions: 0 });
          return { endedSessions: p.activeSessions };
        },
        deletePerson(req) {
          deleted.push(req);
          people.delete(req.id);
          return {};
        },
      });
    },
    { transport: { interceptors: [authInterceptor] } },
  );
  return { transport, ended, deleted };
}

/** /auth/logout, as the server answers it. */
function stubLogout() {
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    if (String(url) === "/auth/config") return Response.json({ oidc: true });
    if (String(url) === "/auth/logout" && init?.method === "POST") return new Response(null, { status: 204 });
    return new Response("not found", { status: 404 });
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

afterEach(() => vi.unstubAllGlobals());

function renderApp(server: ReturnType<typeof peopleServer>) {
  return render(
    <AppProviders transport={server.transport} queryClient={testQueryClient()}>
      <MemoryRouter initialEntries={["/people"]}>
        <AuthGate />
      </MemoryRouter>
    </AppProviders>,
  );
}

const row = (email: string) => document.querySelector(`[data-person="${email}"]`) as HTMLElement;
const nav = () => screen.getByRole("navigation", { name: "Main" });

describe("people page", () => {
  it("lists everyone who has signed in, with the instance admin badge, times and active sessions", async () => {
    renderApp(peopleServer({ instanceAdmin: true }));
    await waitFor(() => expect(row("bob@example.com")).toBeTruthy());
    expect(nav()).toHaveTextContent("People");
    expect(within(row("ada@example.com")).getByText("instance admin")).toBeInTheDocument();
    expect(within(row("bob@example.com")).queryByText("instance admin")).toBeNull();
    expect(within(row("bob@example.com")).getByText("bob")).toBeInTheDocument();
    expect(within(row("bob@example.com")).getByText(/^3 days ago$/)).toBeInTheDocument();
    expect(within(row("bob@example.com")).getByText(/^1 h.* ago$/)).toBeInTheDocument();
    expect(within(row("bob@example.com")).getByText("2")).toBeInTheDocument();
  });

  it("ends someone's sessions only after confirming", async () => {
    const server = peopleServer({ instanceAdmin: true });
    const user = userEvent.setup();
    renderApp(server);
    await waitFor(() => expect(row("bob@example.com")).toBeTruthy());
    await user.click(within(row("bob@example.com")).getByRole("button", { name: "End sessions" }));
    expect(server.ended).toEqual([]);
    await user.click(within(row("bob@example.com")).getByRole("button", { name: "Sign them out everywhere?" }));
    await waitFor(() => expect(server.ended).toEqual([expect.objectContaining({ personId: BOB })]));
    expect(await within(row("bob@example.com")).findByText("ended 2")).toBeInTheDocument();
    await waitFor(() => expect(within(row("bob@example.com")).getByText("0")).toBeInTheDocument());
  });

  it("forgets someone only after confirming, and never offers to forget yourself", async () => {
    const server = peopleServer({ instanceAdmin: true });
    const user = userEvent.setup();
    renderApp(server);
    await waitFor(() => expect(row("bob@example.com")).toBeTruthy());
    expect(within(row("ada@example.com")).queryByRole("button", { name: "Forget" })).toBeNull();
    await user.click(within(row("bob@example.com")).getByRole("button", { name: "Forget" }));
    expect(server.deleted).toEqual([]);
    await user.click(within(row("bob@example.com")).getByRole("button", { name: "Forget them?" }));
    await waitFor(() => expect(row("bob@example.com")).toBeNull());
    expect(server.deleted).toEqual([expect.objectContaining({ id: BOB })]);
  });

  it("is hidden from the navigation, and not available, for a person who is not instance admin", async () => {
    renderApp(peopleServer({ instanceAdmin: false }));
    expect(await screen.findByRole("heading", { name: "Not available" })).toBeInTheDocument();
    expect(nav()).toHaveTextContent("Members");
    expect(nav()).not.toHaveTextContent("People");
  });
});

describe("sign out everywhere", () => {
  it("ends the person's own sessions after confirming, then signs this browser out", async () => {
    const fetch = stubLogout();
    const server = peopleServer({ instanceAdmin: false });
    const user = userEvent.setup();
    renderApp(server);
    // Behind a toggle, so that "Sign out" alone names one button.
    expect(await screen.findByRole("button", { name: "Sign out" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Sign out everywhere" })).toBeNull();
    await user.click(screen.getByRole("button", { name: "Session options" }));
    await user.click(screen.getByRole("button", { name: "Sign out everywhere" }));
    expect(server.ended).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Sign out everywhere?" }));
    await waitFor(() => expect(server.ended).toEqual([expect.objectContaining({ personId: ME })]));
    await waitFor(() => expect(fetch.mock.calls.some(([url]) => url === "/auth/logout")).toBe(true));
  });

  it("is not offered to an API key, which has no sessions", async () => {
    const server = peopleServer({ instanceAdmin: true });
    setApiKey("admin-key");
    renderApp(server);
    await waitFor(() => expect(nav()).toHaveTextContent("People"));
    expect(screen.getByRole("button", { name: "Sign out" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Session options" })).toBeNull();
  });
});
