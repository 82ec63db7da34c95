import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { getApiKey, setApiKey } from "./auth-store";

export function bearer(key: string): string {
  return `Bearer ${key}`;
}

// Adds the signed-in key unless the caller already chose one (the sign-in page checks a key
// before storing it).
export const authInterceptor: Interceptor = (next) => async (req) => {
  if (!req.header.has("Authorization")) {
    const key = getApiKey();
    if (key) req.header.set("Authorization", bearer(key));
  }
  try {
    return await next(req);
  } catch (err) {
    // A revoked or deleted key ends the session instead of leaving every page in an error state.
    if (err instanceof ConnectError && err.code === Code.Unauthenticated && req.header.get("Authorization") === bearerOfStoredKey()) {
      setApiKey(null);
    }
    throw err;
  }
};

function bearerOfStoredKey(): string | null {
  const key = getApiKey();
  return key ? bearer(key) : null;
}

export function createAppTransport(baseUrl = globalThis.location?.origin ?? "http://localhost"): Transport {
  return createConnectTransport({
    baseUrl,
    // Binary keeps large log replays (100k lines) small and fast to decode.
    useBinaryFormat: true,
    interceptors: [authInterceptor],
  });
}
