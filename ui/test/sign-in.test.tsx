import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, useLocation } from "react-router";
import type { Transport } from "@connectrpc/connect";
import { AppProviders, AuthGate } from "../src/App";
import { testQueryClient } from "./support/render";
import { fakeWorkspaceServer } from "./support/workspace-server";

afterEach(() => {
  vi.unstubAllGlobals();
  // biome-ignore lint/suspicious/noDocumentCookie: jsdom's cookie jar is what the page reads fc_csrf from.
  document.cookie = "fc_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
});

/** Answers the sign-in endpoints as the server does; records what was asked. */
function stubAuthEndpoints({ oidc, onLogout }: { oidc: boolean; onLogout?: () => void }) {
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    if (String(url) === "/auth/config") return Response.json({ oidc });
    if (String(url) === "/auth/logout" && init?.method === "POST") {
      onLogout?.();
      return new Response(null, { status: 204 });
    }
    return new Response("not found", { status: 404 });
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

function Address() {
  const l = useLocation();
  return <output data-testid="address">{l.pathname + l.search}</output>;
}

function renderApp(transport: Transport, path: string) {
  return render(
    <AppProviders transport={transport} queryClient={testQueryClient()}>
      <MemoryRouter initialEntries={[path]}>
        <AuthGate />
        <Address />
      </MemoryRouter>
    </AppProviders>,
  );
}

describe("sign-in page", () => {
  it("offers the identity provider, coming back to the page asked for, above the API key form", async () => {
    stubAuthEndpoints({ oidc: true });
    renderApp(fakeWorkspaceServer().transport, "/runs?status=2");
    const link = await screen.findByRole("link", { name: "Sign in with your identity provider" });
    expect(link).toHaveAttribute("href", "/auth/login?return_to=%2Fruns%3Fstatus%3D2");
    expect(screen.getByLabelText("API key")).toBeInTheDocument();
  });

  it("offers only the API key without an identity provider", async () => {
    stubAuthEndpoints({ oidc: false });
    renderApp(fakeWorkspaceServer().transport, "/");
    await screen.findByLabelText("API key");
    await waitFor(() => expect(vi.mocked(globalThis.fetch)).toHaveBeenCalledWith("/auth/config", expect.anything()));
    expect(screen.queryByRole("link", { name: "Sign in with your identity provider" })).toBeNull();
  });

  it("shows why the identity provider's sign-in failed, once", async () => {
    stubAuthEndpoints({ oidc: true });
    renderApp(fakeWorkspaceServer().transport, "/?sign_in_error=your%20email%20is%20not%20verified");
    expect(await screen.findByText(/your email is not verified/)).toBeInTheDocument();
    // Out of the address, so a reload does not show it again.
    await waitFor(() => expect(screen.getByTestId("address")).toHaveTextContent(/^\/$/));
    expect(screen.getByText(/your email is not verified/)).toBeInTheDocument();
  });
});

describe("session sign-out", () => {
  it("posts /auth/logout with the CSRF token, then shows the sign-in page", async () => {
    // biome-ignore lint/suspicious/noDocumentCookie: as in afterEach.
    document.cookie = "fc_csrf=tok-9; path=/";
    const server = fakeWorkspaceServer({ person: { id: "p1", email: "ada@example.com", name: "" } });
    const fetch = stubAuthEndpoints({ oidc: true, onLogout: () => server.endSession() });
    renderApp(server.transport, "/runs");
    // A person without a display name is shown by email.
    await waitFor(() => expect(screen.getByTestId("current-identity")).toHaveTextContent("ada@example.com"));
    await userEvent.click(screen.getByRole("button", { name: "Sign out" }));
    expect(await screen.findByRole("link", { name: "Sign in with your identity provider" })).toBeInTheDocument();
    const logout = fetch.mock.calls.find(([url]) => url === "/auth/logout");
    expect(new Headers(logout?.[1]?.headers).get("x-csrf-token")).toBe("tok-9");
  });
});
