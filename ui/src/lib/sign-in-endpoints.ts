import { addRequestHeaders } from "./request-headers";

// The server's HTTP endpoints for signing in with the identity provider (same origin as the RPCs).

/** Whether an identity provider is configured; a server without sign-in endpoints has none. */
export async function fetchOidcEnabled(doFetch: typeof fetch = globalThis.fetch): Promise<boolean> {
  const res = await doFetch("/auth/config", { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!res.ok) return false;
  const body = (await res.json().catch(() => ({}))) as { oidc?: unknown };
  return body.oidc === true;
}

/**
 * Where the identity provider's sign-in starts; the server sends the browser back to `returnTo`,
 * which must be a path on this origin (anything else falls back to the dashboard's start page).
 */
export function loginUrl(returnTo: string): string {
  const path = returnTo.startsWith("/") && !returnTo.startsWith("//") ? returnTo : "/";
  return `/auth/login?return_to=${encodeURIComponent(path)}`;
}

/** Ends the session: the server clears its cookies. */
export async function logout(doFetch: typeof fetch = globalThis.fetch): Promise<void> {
  const headers = new Headers();
  addRequestHeaders(headers);
  const res = await doFetch("/auth/logout", { method: "POST", credentials: "same-origin", headers });
  // 401: the session had already ended, which is what signing out wants.
  if (!res.ok && res.status !== 401) {
    const text = (await res.text().catch(() => "")).trim();
    throw new Error(text || `Signing out failed with HTTP ${res.status}; try again.`);
  }
}
