import { getApiKey, reportSessionRefused, setApiKey } from "./auth-store";
import { addRequestHeaders } from "./request-headers";

/** The dashboard's own origin serves GET /artifacts/<id>, like the RPCs. */
function origin(): string {
  return globalThis.location?.origin ?? "http://localhost";
}

/** A download the server refused, with its own sentence (it says what is wrong: no key, no role, no artifact). */
export class ArtifactFetchError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ArtifactFetchError";
  }
}

/**
 * An artifact's bytes from GET /artifacts/<id>, authorised like the RPCs: the signed-in key in the
 * Authorization header (a key in the URL would end up in the browser history and server logs) or
 * the session cookie with its CSRF token, in the selected workspace.
 */
export async function fetchArtifact(id: string, opts: { signal?: AbortSignal; baseUrl?: string; fetch?: typeof fetch } = {}): Promise<Blob> {
  const key = getApiKey();
  const headers = new Headers();
  addRequestHeaders(headers);
  const doFetch = opts.fetch ?? globalThis.fetch;
  const res = await doFetch(`${opts.baseUrl ?? origin()}/artifacts/${encodeURIComponent(id)}`, {
    headers,
    credentials: "same-origin",
    signal: opts.signal,
    // The response may be large and is never reused from the HTTP cache by the dashboard itself.
    cache: "no-store",
  });
  if (!res.ok) {
    const text = (await res.text().catch(() => "")).trim();
    // Same rule as the RPC interceptor: a revoked key ends the session instead of failing every page.
    if (res.status === 401) {
      if (key === null) reportSessionRefused();
      else if (getApiKey() === key) setApiKey(null);
    }
    throw new ArtifactFetchError(res.status, text || `Download failed with HTTP ${res.status}.`);
  }
  return res.blob();
}
