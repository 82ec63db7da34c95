import type { ReactElement } from "react";
import { render } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { createRouterTransport, type ConnectRouter, type Transport } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { QueryClient } from "@tanstack/react-query";
import { AppProviders } from "../../src/App";
import { ApiKeyService, ApiKeySchema, Role } from "../../src/gen/flightcontrol/v1/api_key_pb";
import { setApiKey } from "../../src/lib/auth-store";
import { authInterceptor } from "../../src/lib/transport";

export const TEST_KEY = "fc_test_key";

export function apiKey(role: Role, name = "test key") {
  return create(ApiKeySchema, { id: "00000000-0000-4000-8000-000000000001", name, role, prefix: "fc_test", createTime: timestampFromMs(Date.now()) });
}

/**
 * A router transport with the real auth interceptor, answering WhoAmI with `role` unless
 * the test registers ApiKeyService itself.
 */
export function mockTransport(routes: (router: ConnectRouter) => void, role: Role | null = Role.ADMIN): Transport {
  return createRouterTransport(
    (router) => {
      if (role !== null) {
        router.service(ApiKeyService, {
          whoAmI: () => ({ apiKey: apiKey(role) }),
          listApiKeys: () => ({ apiKeys: [] }),
        });
      }
      routes(router);
    },
    { transport: { interceptors: [authInterceptor] } },
  );
}

export function testQueryClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: false } } });
}

/** Renders `ui` at `path` (matched by `pattern`) with providers, signed in. */
export function renderPage(
  ui: ReactElement,
  { transport, path = "/", pattern = "*", signedIn = true }: { transport: Transport; path?: string; pattern?: string; signedIn?: boolean },
) {
  if (signedIn) setApiKey(TEST_KEY);
  return render(
    <AppProviders transport={transport} queryClient={testQueryClient()}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path={pattern} element={ui} />
        </Routes>
      </MemoryRouter>
    </AppProviders>,
  );
}
