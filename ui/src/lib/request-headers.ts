import { getApiKey } from "./auth-store";
import { readCookie } from "./cookies";
import { getWorkspaceId } from "./workspace-store";

/** The header naming the workspace a request acts in (WorkspaceService's comment in the contract). */
export const WORKSPACE_HEADER = "x-workspace-id";
/** Echoes the fc_csrf cookie: the server refuses a session request without it. */
export const CSRF_HEADER = "x-csrf-token";
const CSRF_COOKIE = "fc_csrf";

export function bearer(key: string): string {
  return `Bearer ${key}`;
}

/**
 * Completes a request's headers the same way for RPCs and plain fetches (artifact downloads,
 * sign-out): the stored key unless the caller chose one, the selected workspace unless the caller
 * named one, and, for a request made with the session cookie (no Authorization), the CSRF token.
 */
export function addRequestHeaders(headers: Headers): void {
  if (!headers.has("Authorization")) {
    const key = getApiKey();
    if (key) headers.set("Authorization", bearer(key));
  }
  const workspace = getWorkspaceId();
  if (workspace && !headers.has(WORKSPACE_HEADER)) headers.set(WORKSPACE_HEADER, workspace);
  if (!headers.has("Authorization")) {
    const csrf = readCookie(CSRF_COOKIE);
    if (csrf) headers.set(CSRF_HEADER, csrf);
  }
}
