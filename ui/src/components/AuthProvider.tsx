import { useCallback, useMemo, useSyncExternalStore, type ReactNode } from "react";
import { createClient } from "@connectrpc/connect";
import { createConnectQueryKey, skipToken, useQuery, useTransport } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { ApiKeyService } from "../gen/flightcontrol/v1/api_key_pb";
import { getApiKey, setApiKey, subscribeApiKey } from "../lib/auth-store";
import { bearer } from "../lib/transport";
import { roleCan, type Permission } from "../lib/permissions";
import { AuthContext, type AuthState } from "../hooks/useAuth";

export function AuthProvider({ children }: { children: ReactNode }) {
  const apiKey = useSyncExternalStore(subscribeApiKey, getApiKey, () => null);
  const transport = useTransport();
  const queryClient = useQueryClient();

  const who = useQuery(ApiKeyService.method.whoAmI, apiKey ? {} : skipToken, {
    staleTime: Infinity,
    retry: false,
  });

  const signIn = useCallback(
    async (key: string) => {
      // Check the key before storing it, so a typo never replaces a working session.
      const client = createClient(ApiKeyService, transport);
      const res = await client.whoAmI({}, { headers: { Authorization: bearer(key) } });
      if (!res.apiKey) throw new Error("The server did not describe this key");
      // Nothing cached under the previous key may leak into the new session.
      queryClient.clear();
      setApiKey(key);
      queryClient.setQueryData(createConnectQueryKey({ schema: ApiKeyService.method.whoAmI, input: {}, transport, cardinality: "finite" }), res);
      return res.apiKey;
    },
    [transport, queryClient],
  );

  const signOut = useCallback(() => {
    setApiKey(null);
    queryClient.clear();
  }, [queryClient]);

  const identity = apiKey ? who.data?.apiKey : undefined;
  const role = identity?.role;
  const value = useMemo<AuthState>(
    () => ({
      apiKey,
      identity,
      role,
      loading: !!apiKey && who.isPending,
      error: apiKey ? who.error : null,
      signIn,
      signOut,
      can: (p: Permission) => roleCan(role, p),
    }),
    [apiKey, identity, role, who.isPending, who.error, signIn, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
