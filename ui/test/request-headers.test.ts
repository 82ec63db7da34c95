import { afterEach, describe, expect, it, vi } from "vitest";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { SystemService } from "../src/gen/flightcontrol/v1/system_pb";
import { onSessionRefused, setApiKey } from "../src/lib/auth-store";
import { authInterceptor } from "../src/lib/transport";
import { fetchArtifact } from "../src/lib/artifact-fetch";
import { logout } from "../src/lib/sign-in-endpoints";
import { setWorkspaceId } from "../src/lib/workspace-store";

const WS = "0198a000-0000-7000-8000-00000000000a";

function setCookie(name: string, value: string) {
  // biome-ignore lint/suspicious/noDocumentCookie: jsdom's cookie jar is what the page reads fc_csrf from.
  document.cookie = `${name}=${value}; path=/`;
}

afterEach(() => {
  // biome-ignore lint/suspicious/noDocumentCookie: see setCookie.
  document.cookie = "fc_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
});

/** A server that records the headers of each GetStats and optionally refuses it. */
function recordingTransport(refuse?: Code) {
  const seen: Headers[] = [];
  const transport = createRouterTransport(
    (router) =>
      router.service(SystemService, {
        getStats(_req, ctx) {
          seen.push(new Headers(ctx.requestHeader));
          if (refuse !== undefined) throw new ConnectError("refused", refuse);
          return {};
        },
      }),
    { transport: { interceptors: [authInterceptor] } },
  );
  return { client: createClient(SystemService, transport), seen };
}

describe("RPC headers", () => {
  it("sends the stored key and the selected workspace, and no CSRF token with a key", async () => {
    setApiKey("fc_key");
    setWorkspaceId(WS);
    setCookie("fc_csrf", "tok-1");
    const { client, seen } = recordingTransport();
    await client.getStats({});
    expect(seen[0]!.get("authorization")).toBe("Bearer fc_key");
    expect(seen[0]!.get("x-workspace-id")).toBe(WS);
    expect(seen[0]!.has("x-csrf-token")).toBe(false);
  });

  it("sends the fc_csrf cookie's value as x-csrf-token on a session request (no key)", async () => {
    setCookie("other", "x");
    setCookie("fc_csrf", "tok%2F2");
    const { client, seen } = recordingTransport();
    await client.getStats({});
    expect(seen[0]!.has("authorization")).toBe(false);
    expect(seen[0]!.get("x-csrf-token")).toBe("tok/2");
    // No workspace chosen yet: the server picks its default.
    expect(seen[0]!.has("x-workspace-id")).toBe(false);
  });

  it("keeps a caller's own key and workspace", async () => {
    setApiKey("fc_stored");
    setWorkspaceId(WS);
    const { client, seen } = recordingTransport();
    await client.getStats({}, { headers: { Authorization: "Bearer fc_other", "x-workspace-id": "elsewhere" } });
    expect(seen[0]!.get("authorization")).toBe("Bearer fc_other");
    expect(seen[0]!.get("x-workspace-id")).toBe("elsewhere");
  });

  it("reports a refused session, but not a refused key, as the session's end", async () => {
    const refused = vi.fn();
    const stop = onSessionRefused(refused);
    try {
      setCookie("fc_csrf", "tok");
      await expect(recordingTransport(Code.Unauthenticated).client.getStats({})).rejects.toThrow("refused");
      expect(refused).toHaveBeenCalledTimes(1);
      await expect(recordingTransport(Code.PermissionDenied).client.getStats({})).rejects.toThrow("refused");
      setApiKey("fc_key");
      await expect(recordingTransport(Code.Unauthenticated).client.getStats({})).rejects.toThrow("refused");
      expect(refused).toHaveBeenCalledTimes(1);
    } finally {
      stop();
    }
  });
});

describe("plain HTTP requests", () => {
  it("downloads artifacts with the session's CSRF token and the selected workspace", async () => {
    setWorkspaceId(WS);
    setCookie("fc_csrf", "tok-3");
    const fetch = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) => new Response("bytes", { status: 200 }));
    await fetchArtifact("a1", { baseUrl: "http://fc.test", fetch: fetch as typeof globalThis.fetch });
    const init = fetch.mock.calls[0]![1]!;
    const headers = new Headers(init.headers);
    expect(headers.get("x-workspace-id")).toBe(WS);
    expect(headers.get("x-csrf-token")).toBe("tok-3");
    expect(headers.has("authorization")).toBe(false);
    expect(init.credentials).toBe("same-origin");
  });

  it("a refused session download ends the session", async () => {
    const refused = vi.fn();
    const stop = onSessionRefused(refused);
    try {
      const fetch = (async () => new Response("session expired", { status: 401 })) as unknown as typeof globalThis.fetch;
      await expect(fetchArtifact("a1", { baseUrl: "http://fc.test", fetch })).rejects.toThrow("session expired");
      expect(refused).toHaveBeenCalledTimes(1);
    } finally {
      stop();
    }
  });

  it("signs out with POST /auth/logout and the CSRF token, and says why when the server refuses", async () => {
    setCookie("fc_csrf", "tok-4");
    const fetch = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) => new Response(null, { status: 204 }));
    await logout(fetch as typeof globalThis.fetch);
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("/auth/logout");
    expect(init?.method).toBe("POST");
    expect(new Headers(init?.headers).get("x-csrf-token")).toBe("tok-4");
    const failing = (async () => new Response("database unavailable", { status: 503 })) as unknown as typeof globalThis.fetch;
    await expect(logout(failing)).rejects.toThrow("database unavailable");
  });
});
