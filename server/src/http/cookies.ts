import { parseCookie, stringifySetCookie } from "cookie";

/** The signed-in browser's session token: HttpOnly, so the page's scripts never see it. */
export const SESSION_COOKIE = "fc_session";
/** The session's CSRF token, readable by the dashboard, which sends it back as x-csrf-token. */
export const CSRF_COOKIE = "fc_csrf";
/** A sign-in in progress (the sealed LoginTransaction), sent only to /auth/. */
export const LOGIN_COOKIE = "fc_oidc";

/** One cookie's value from a Cookie header. */
export const readCookie = (header: string | null | undefined, name: string): string | undefined =>
  header ? parseCookie(header)[name] || undefined : undefined;

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  /** Sent over HTTPS only: set whenever the dashboard is served over TLS (here or at a proxy). */
  secure: boolean;
  httpOnly: boolean;
  sameSite: "lax" | "strict";
  path?: string;
}

/** A Set-Cookie value. */
export const setCookie = (name: string, value: string, o: CookieOptions): string =>
  stringifySetCookie(name, value, { maxAge: o.maxAge, secure: o.secure, httpOnly: o.httpOnly, sameSite: o.sameSite, path: o.path ?? "/" });
