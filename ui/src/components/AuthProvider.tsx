import { useCallback, useEffect, useMemo, useReducer, useRef, useSyncExternalStore, type ReactNode } from "react";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectQueryKey, useQuery, useTransport } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { ApiKeyService } from "../gen/flightcontrol/v1/api_key_pb";
import { getApiKey, onSessionRefused, setApiKey, subscribeApiKey } from "../lib/auth-store";
import { bearer } from "../lib/request-headers";
import { describeCaller } from "../lib/caller";
import { logout } from "../lib/sign-in-endpoints";
import { getWorkspaceId, setWorkspaceId, subscribeWorkspaceId } from "../lib/workspace-store";
import { roleCan, type Permission } from "../lib/permissions";
import { AuthContext, type AuthState } from "../hooks/useAuth";

/**
 * Who is signed in: a stored API key, or else whatever session cookie the browser holds (a person
 * signed in with the identity provider), found by asking WhoAmI without a key.
 */
export function AuthProvider({ children }: { children: ReactNode }) {
  const apiKey = useSyncExternalStore(subscribeApiKey, getApiKey, () => null);
  const transport = useTransport();
  const queryClient = useQueryClient();
  // Clearing the cache leaves this component's WhoAmI observer on the removed query until it renders again.
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  // A workspace switch clears the cache too; rendering again picks up its WhoAmI answer.
  useSyncExternalStore(subscribeWorkspaceId, getWorkspaceId, getWorkspaceId);

  const who = useQuery(ApiKeyService.method.whoAmI, {}, { staleTime: Infinity, retry: false });
  const caller = useMemo(() => (who.data ? describeCaller(who.data) : undefined), [who.data]);
  const method = apiKey ? (who.data?.apiKey ? "key" : null) : who.data?.person ? "session" : null;

  /** Drops everything cached for the previous identity or workspace; WhoAmI then asks again. */
  const reset = useCallback(() => {
    setWorkspaceId(null);
    queryClient.clear();
    rerender();
  }, [queryClient]);

  // An expired session: back to the sign-in page (once: the WhoAmI probe it triggers is refused too).
  const sessionActive = useRef(false);
  sessionActive.current = method === "session";
  useEffect(
    () =>
      onSessionRefused(() => {
        if (sessionActive.current) reset();
      }),
    [reset],
  );

  const signIn = useCallback(
    async (key: string) => {
      // Check the key before storing it, so a typo never replaces a working session.
      const client = createClient(ApiKeyService, transport);
      const res = await client.whoAmI({}, { headers: { Authorization: bearer(key) } });
      if (!res.apiKey) throw new Error("The server did not describe this key");
      // Nothing cached under the previous key may leak into the new session.
      setWorkspaceId(null);
      queryClient.clear();
      setApiKey(key);
      queryClient.setQueryData(createConnectQueryKey({ schema: ApiKeyService.method.whoAmI, input: {}, transport, cardinality: "finite" }), res);
      return res.apiKey;
    },
    [transport, queryClient],
  );

  const signOut = useCallback(async () => {
    if (apiKey) setApiKey(null);
    else if (method === "session") await logout();
    reset();
  }, [apiKey, method, reset]);

  const probeRefused = !apiKey && who.error instanceof ConnectError && who.error.code === Code.Unauthenticated;
  const role = method ? caller?.role : undefined;
  const value = useMemo<AuthState>(
    () => ({
      apiKey,
      method,
      identity: method === "key" ? who.data?.apiKey : undefined,
      person: method === "session" ? who.data?.person : undefined,
      identityId: method ? caller?.identityId : undefined,
      displayName: caller?.displayName ?? "",
      role,
      instanceAdmin: !!method && !!caller?.instanceAdmin,
      workspaceId: who.data?.workspaceId ?? "",
      loading: who.isPending,
      // Without a key, being refused is simply being signed out.
      error: probeRefused ? null : who.error,
      signIn,
      signOut,
      can: (p: Permission) => roleCan(role, p),
    }),
    [apiKey, method, who.data, caller, role, who.isPending, who.error, probeRefused, signIn, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
