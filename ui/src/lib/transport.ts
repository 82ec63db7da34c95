import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { getApiKey, reportSessionRefused, setApiKey } from "./auth-store";
import { addRequestHeaders, bearer } from "./request-headers";

export { bearer } from "./request-headers";

// Adds the signed-in key (unless the caller already chose one: the sign-in page checks a key
// before storing it), the selected workspace and, for session requests, the CSRF token.
export const authInterceptor: Interceptor = (next) => async (req) => {
  addRequestHeaders(req.header);
  try {
    return await next(req);
  } catch (err) {
    if (err instanceof ConnectError && err.code === Code.Unauthenticated) {
      const sent = req.header.get("Authorization");
      // A revoked or deleted key ends the session instead of leaving every page in an error state.
      if (sent !== null && sent === bearerOfStoredKey()) setApiKey(null);
      // Likewise an expired or signed-out session cookie.
      if (sent === null) reportSessionRefused();
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
    // The session cookie goes with every same-origin request (fetch's default, stated here).
    fetch: (input, init) => globalThis.fetch(input, { ...init, credentials: "same-origin" }),
  });
}
