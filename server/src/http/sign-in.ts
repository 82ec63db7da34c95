import type { IncomingMessage, ServerResponse } from "node:http";
import { CSRF_HEADER } from "../domain/auth/authenticate";
import { LOGIN_TRANSACTION_TTL_SECONDS, type Oidc } from "../domain/auth/oidc";
import type { Sessions } from "../domain/auth/sessions";
import { isDomainError } from "../domain/errors";
import type { Logger } from "../logger";
import { CSRF_COOKIE, LOGIN_COOKIE, readCookie, SESSION_COOKIE, setCookie } from "./cookies";
import { SECURITY_HEADERS } from "./static-files";

export interface SignInDeps {
  /** Absent when no identity provider is configured: /auth/config says so and the rest is 404. */
  oidc?: Oidc;
  sessions?: Pick<Sessions, "signIn" | "end" | "csrfMatches">;
  log: Logger;
  /** ORCH_PUBLIC_URL: the dashboard's address as browsers see it; else taken from each request's Host. */
  publicUrl?: string;
  /** The server itself terminates TLS. */
  tls: boolean;
  sessionTtlSeconds: number;
}

/** Where the provider sends the browser back to; registered with the provider as the redirect URI. */
export const CALLBACK_PATH = "/auth/callback";

/**
 * The browser's side of signing in with the identity provider (OpenID Connect, domain/auth/oidc.ts):
 *
 * - `GET /auth/config`: `{"oidc": true|false}`, for the sign-in page.
 * - `GET /auth/login?return_to=/path`: starts a sign-in; 302 to the provider.
 * - `GET /auth/callback`: the provider's redirect back; opens a session (the `fc_session` cookie,
 *   HttpOnly, and `fc_csrf`, which the dashboard sends back as x-csrf-token), then 302 to return_to.
 *   A failure 302s to `/?sign_in_error=<message>` for the sign-in page to show.
 * - `POST /auth/logout` with x-csrf-token: ends the session; 204.
 *
 * Cookies are SameSite=Lax (the session must survive the provider's cross-site redirect back),
 * Secure whenever the dashboard is served over HTTPS, and never carry anything readable but the
 * CSRF token. Returns false for any other path.
 */
export function createSignIn(deps: SignInDeps) {
  const secure = deps.tls || deps.publicUrl?.startsWith("https:") === true;
  const base = { secure, sameSite: "lax" as const };

  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { ...SECURITY_HEADERS, "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
  const redirect = (res: ServerResponse, location: string, cookies: string[] = []) =>
    res.writeHead(302, { ...SECURITY_HEADERS, location, "cache-control": "no-store", "set-cookie": cookies }).end();
  const failed = (res: ServerResponse, message: string) =>
    redirect(res, `/?sign_in_error=${encodeURIComponent(message)}`, [
      setCookie(LOGIN_COOKIE, "", { ...base, httpOnly: true, maxAge: 0, path: "/auth" }),
    ]);
  const clearSession = () => [
    setCookie(SESSION_COOKIE, "", { ...base, httpOnly: true, maxAge: 0 }),
    setCookie(CSRF_COOKIE, "", { ...base, httpOnly: false, sameSite: "strict", maxAge: 0 }),
  ];

  /** The origin browsers reach this server at: ORCH_PUBLIC_URL, or this request's Host. */
  function origin(req: IncomingMessage): string {
    if (deps.publicUrl) return deps.publicUrl.replace(/\/+$/, "");
    const host = req.headers.host ?? (req.headers[":authority"] as string | undefined) ?? "localhost";
    return `${deps.tls ? "https" : "http"}://${host}`;
  }

  async function login(req: IncomingMessage, res: ServerResponse, url: URL, oidc: Oidc) {
    const { url: to, transaction } = await oidc.start(`${origin(req)}${CALLBACK_PATH}`, safeReturnTo(url.searchParams.get("return_to")));
    redirect(res, to.href, [
      setCookie(LOGIN_COOKIE, oidc.seal(transaction), { ...base, httpOnly: true, maxAge: LOGIN_TRANSACTION_TTL_SECONDS, path: "/auth" }),
    ]);
  }

  async function callback(req: IncomingMessage, res: ServerResponse, url: URL, oidc: Oidc, sessions: NonNullable<SignInDeps["sessions"]>) {
    const providerError = url.searchParams.get("error");
    if (providerError) {
      // Only the error code, and only a well-formed one: anyone can put a "description" in this URL.
      const code = /^[a-z_]{1,64}$/.test(providerError) ? ` (${providerError})` : "";
      deps.log.warn({ error: providerError.slice(0, 64) }, "the identity provider refused a sign-in");
      return failed(res, `the identity provider did not sign you in${code}; try again, or ask your administrator`);
    }
    const tx = oidc.open(readCookie(req.headers.cookie, LOGIN_COOKIE));
    if (!tx) {
      deps.log.warn("refused a sign-in callback without its sign-in cookie (expired, another browser, or replayed)");
      return failed(res, "this sign-in expired or was started in another browser; sign in again");
    }
    try {
      const claims = await oidc.finish(url.search, tx);
      const { token, csrf } = await sessions.signIn(claims);
      redirect(res, tx.returnTo, [
        setCookie(LOGIN_COOKIE, "", { ...base, httpOnly: true, maxAge: 0, path: "/auth" }),
        setCookie(SESSION_COOKIE, token, { ...base, httpOnly: true, maxAge: deps.sessionTtlSeconds }),
        // Strict: only our own pages need it, and only to read it.
        setCookie(CSRF_COOKIE, csrf, { ...base, httpOnly: false, sameSite: "strict", maxAge: deps.sessionTtlSeconds }),
      ]);
    } catch (err) {
      // A refusal the person can act on is shown to them, and logged for the operator (never a token);
      // anything else (the database) is the server log's.
      if (isDomainError(err) && err.kind !== "unavailable") {
        deps.log.warn({ reason: err.message }, "refused a sign-in");
        return failed(res, err.message);
      }
      deps.log.error({ err }, "a sign-in failed");
      failed(res, isDomainError(err) ? err.message : "the sign-in failed on the server; try again, or see the server log");
    }
  }

  async function logout(req: IncomingMessage, res: ServerResponse, sessions: NonNullable<SignInDeps["sessions"]>) {
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (token) {
      const given = req.headers[CSRF_HEADER];
      if (!sessions.csrfMatches(token, typeof given === "string" ? given : undefined)) {
        return json(res, 403, { error: `sign out with the header ${CSRF_HEADER} set to the value of the ${CSRF_COOKIE} cookie` });
      }
      await sessions.end(token);
    }
    res.writeHead(204, { ...SECURITY_HEADERS, "cache-control": "no-store", "set-cookie": clearSession() }).end();
  }

  return async function serveSignIn(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://x");
    if (!url.pathname.startsWith("/auth/")) return false;
    const { oidc, sessions } = deps;
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /auth/config") json(res, 200, { oidc: !!oidc });
    else if (!oidc || !sessions) {
      json(res, 404, {
        error:
          "signing in with an identity provider is not configured: set ORCH_OIDC_ISSUER, ORCH_OIDC_CLIENT_ID and ORCH_OIDC_CLIENT_SECRET, or sign in with an API key",
      });
    } else if (route === "GET /auth/login") {
      await login(req, res, url, oidc).catch((err: unknown) => {
        if (!isDomainError(err)) throw err;
        failed(res, err.message);
      });
    } else if (route === `GET ${CALLBACK_PATH}`) await callback(req, res, url, oidc, sessions);
    else if (route === "POST /auth/logout") await logout(req, res, sessions);
    else json(res, 404, { error: `no such sign-in endpoint: ${route}; see GET /auth/config, GET /auth/login, POST /auth/logout` });
    return true;
  };
}

/**
 * A same-origin path to land on after signing in; anything else is "/". Browsers drop tabs and
 * newlines from URLs and read a backslash as a slash, so `/\t/evil.example` would leave the site:
 * control characters and backslashes are refused outright, then the path must resolve on our origin.
 */
export function safeReturnTo(raw: string | null): string {
  if (!raw || /[\u0000-\u001f\u007f\\]/.test(raw)) return "/";
  const resolved = new URL(raw, "http://flightcontrol.invalid");
  if (resolved.origin !== "http://flightcontrol.invalid" || !raw.startsWith("/")) return "/";
  return resolved.pathname + resolved.search + resolved.hash;
}
