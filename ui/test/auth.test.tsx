import { describe, expect, it } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { Code, ConnectError, createClient, type ConnectRouter } from "@connectrpc/connect";
import { AppProviders, AuthGate } from "../src/App";
import { ApiKeyService, Role } from "../src/gen/flightcontrol/v1/api_key_pb";
import { RunService } from "../src/gen/flightcontrol/v1/run_pb";
import { WorkerService } from "../src/gen/flightcontrol/v1/worker_pb";
import { SystemService } from "../src/gen/flightcontrol/v1/system_pb";
import { getApiKey, setApiKey } from "../src/lib/auth-store";
import { apiKey, mockTransport, testQueryClient } from "./support/render";
import { silentStream } from "./support/streams";

const KEYS: Record<string, Role> = { "admin-key": Role.ADMIN, "operator-key": Role.OPERATOR, "viewer-key": Role.VIEWER, "worker-key": Role.WORKER };

/** A server that knows four keys and serves an empty dashboard. */
function server(router: ConnectRouter) {
  router.service(ApiKeyService, {
    whoAmI(_req, ctx) {
      const key = ctx.requestHeader.get("Authorization")?.replace(/^Bearer /, "") ?? "";
      const role = KEYS[key];
      if (role === undefined) throw new ConnectError("unknown API key", Code.Unauthenticated);
      return { apiKey: apiKey(role, `${key} name`) };
    },
  });
  router.service(SystemService, { getStats: () => ({ queueDepth: 3n, slotsTotal: 4, slotsUsed: 1, workersOnline: 2 }) });
  router.service(RunService, {
    listRuns: () => ({ runs: [] }),
    watchRuns: (_req, ctx) => silentStream(ctx.signal),
  });
  router.service(WorkerService, {
    listWorkers: () => ({ workers: [] }),
    watchWorkers: (_req, ctx) => silentStream(ctx.signal),
  });
}

function renderApp() {
  const transport = mockTransport(server, null);
  return render(
    <AppProviders transport={transport} queryClient={testQueryClient()}>
      <MemoryRouter>
        <AuthGate />
      </MemoryRouter>
    </AppProviders>,
  );
}

async function signIn(key: string) {
  const user = userEvent.setup();
  renderApp();
  await user.type(await screen.findByLabelText("API key"), key);
  await user.click(screen.getByRole("button", { name: "Sign in" }));
  return user;
}

const nav = () => screen.getByRole("navigation", { name: "Main" });

describe("sign-in and roles", () => {
  it("checks the key with WhoAmI, stores it, and shows the role", async () => {
    await signIn("admin-key");
    await waitFor(() => expect(screen.getByTestId("current-role")).toHaveTextContent("admin"));
    expect(getApiKey()).toBe("admin-key");
    expect(screen.getByText("admin-key name")).toBeInTheDocument();
    expect(await screen.findByText("Queue depth")).toBeInTheDocument();
    expect(nav()).toHaveTextContent("Credentials");
    expect(nav()).toHaveTextContent("API keys");
    expect(screen.getByRole("link", { name: "+ New run" })).toBeInTheDocument();
  });

  it("rejects an unknown key without storing it", async () => {
    await signIn("nope");
    expect(await screen.findByRole("alert")).toHaveTextContent("That key was not accepted");
    expect(getApiKey()).toBeNull();
  });

  it("hides credentials and API keys from operators", async () => {
    await signIn("operator-key");
    await waitFor(() => expect(screen.getByTestId("current-role")).toHaveTextContent("operator"));
    expect(nav()).not.toHaveTextContent("Credentials");
    expect(nav()).not.toHaveTextContent("API keys");
    expect(screen.getByRole("link", { name: "+ New run" })).toBeInTheDocument();
  });

  it("gives viewers a read-only dashboard", async () => {
    await signIn("viewer-key");
    await waitFor(() => expect(screen.getByTestId("current-role")).toHaveTextContent("viewer"));
    expect(screen.queryByRole("link", { name: "+ New run" })).toBeNull();
    expect(nav()).toHaveTextContent("Workers");
    expect(nav()).not.toHaveTextContent("Credentials");
  });

  it("tells a worker key it cannot use the dashboard", async () => {
    await signIn("worker-key");
    expect(await screen.findByRole("heading", { name: "This is a worker key" })).toBeInTheDocument();
    expect(screen.queryByRole("navigation", { name: "Main" })).toBeNull();
  });

  it("signs out and forgets the key", async () => {
    const user = await signIn("admin-key");
    await user.click(await screen.findByRole("button", { name: "Sign out" }));
    expect(await screen.findByLabelText("API key")).toBeInTheDocument();
    expect(getApiKey()).toBeNull();
  });

  it("restores the session from storage", async () => {
    setApiKey("operator-key");
    renderApp();
    await waitFor(() => expect(screen.getByTestId("current-role")).toHaveTextContent("operator"));
  });

  it("ends the session when the server stops accepting the stored key", async () => {
    setApiKey("revoked-key");
    const transport = mockTransport((r) =>
      r.service(SystemService, {
        getStats() {
          throw new ConnectError("API key revoked", Code.Unauthenticated);
        },
      }),
    );
    await expect(createClient(SystemService, transport).getStats({})).rejects.toThrow("API key revoked");
    expect(getApiKey()).toBeNull();
  });
});
