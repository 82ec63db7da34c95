import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseSetCookie } from "cookie";
import Provider from "oidc-provider";
import type { OidcSettings } from "../server/src/domain/auth/oidc";

/** A person the test identity provider knows; they sign in with `login` (default: their email), which is also their subject. */
export interface TestAccount {
  email: string;
  login?: string;
  name?: string;
  /** Default true; false reports the email as unverified; null leaves the email_verified claim out. */
  emailVerified?: boolean | null;
}

export interface TestIdentityProvider {
  issuer: string;
  /** What to put in ServerConfig.oidc for a server using this provider. */
  settings: OidcSettings;
  /** Registers the one client's redirect URI (the server's /auth/callback): call once the server's port is known. */
  allowRedirect(redirectUri: string): void;
  addAccount(account: TestAccount): void;
  close(): Promise<void>;
}

const CLIENT_ID = "flightcontrol-test";
const CLIENT_SECRET = "flightcontrol-test-secret-0123456789";

/**
 * A real OpenID Connect provider (the `oidc-provider` package, certified by the OpenID Foundation)
 * on 127.0.0.1, configured for one confidential client. Its development login page (any password)
 * signs in the account named by the login field; consent is granted as a first-party provider
 * would, without a second page. The listener starts first so the issuer URL (with its port) can be
 * handed to the server; the provider itself is built once the server's redirect URI is known.
 */
export async function startTestIdentityProvider(): Promise<TestIdentityProvider> {
  const accounts = new Map<string, TestAccount>();
  let handler: ((req: never, res: never) => void) | undefined;
  const http: Server = createServer((req, res) => {
    if (!handler) {
      res.writeHead(503).end("the test identity provider has no client yet");
      return;
    }
    handler(req as never, res as never);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  return {
    issuer,
    settings: { issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scopes: "openid email profile" },
    addAccount: (a) => void accounts.set(a.login ?? a.email, a),
    allowRedirect(redirectUri) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
            redirect_uris: [redirectUri],
            grant_types: ["authorization_code"],
            response_types: ["code"],
            token_endpoint_auth_method: "client_secret_basic",
          },
        ],
        claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
        cookies: { keys: ["flightcontrol-test-cookie-key"] },
        pkce: { required: () => true },
        async findAccount(_ctx, id) {
          const account = accounts.get(id);
          if (!account) return undefined;
          return {
            accountId: id,
            async claims() {
              const verified = account.emailVerified === null ? {} : { email_verified: account.emailVerified ?? true };
              return { sub: id, email: account.email, ...verified, name: account.name };
            },
          };
        },
        // First-party consent: the grant is made when first needed, so the login page is the only page.
        async loadExistingGrant(ctx) {
          const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
          if (grantId) return ctx.oidc.provider.Grant.find(grantId);
          const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId });
          grant.addOIDCScope("openid email profile");
          await grant.save();
          return grant;
        },
      });
      handler = provider.callback() as never;
    },
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** What a scripted sign-in ends with: the cookies the server set, and where it sent the browser. */
export interface ScriptedSignIn {
  /** The Cookie header to send the server from now on. */
  cookie: string;
  session: string;
  csrf: string;
  /** The server's final redirect (return_to, or /?sign_in_error=…). */
  location: string;
  /** Every Set-Cookie the server sent on the callback, as sent. */
  setCookies: string[];
}

/**
 * Signs `login` in the way a browser does, without one: follows the redirects from the server's
 * /auth/login through the provider's login form and back to the server's callback, keeping each
 * host's cookies. The final redirect is not followed.
 */
export async function scriptedSignIn(serverUrl: string, login: string, returnTo = "/"): Promise<ScriptedSignIn> {
  const jars = new Map<string, Map<string, string>>();
  const jar = (url: URL) => jars.get(url.host) ?? jars.set(url.host, new Map()).get(url.host)!;
  const send = async (url: URL, init: RequestInit = {}) => {
    const cookie = [...jar(url)].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    for (const raw of res.headers.getSetCookie()) {
      const c = parseSetCookie(raw);
      if (c.maxAge === 0 || c.value === "") jar(url).delete(c.name);
      else jar(url).set(c.name, c.value ?? "");
    }
    return res;
  };
  const server = new URL(serverUrl);
  let url = new URL(`/auth/login?return_to=${encodeURIComponent(returnTo)}`, server);
  let res = await send(url);
  for (let hop = 0; hop < 10; hop++) {
    if (res.status === 200 && url.pathname.startsWith("/interaction/")) {
      // The provider's login form.
      res = await send(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ prompt: "login", login, password: "any" }).toString(),
      });
      continue;
    }
    const location = res.headers.get("location");
    if (!location || res.status < 300 || res.status >= 400)
      throw new Error(`sign-in stopped at ${url.href} with HTTP ${res.status}: ${await res.text()}`);
    const next = new URL(location, url);
    if (url.host === server.host && url.pathname === "/auth/callback") {
      const setCookies = res.headers.getSetCookie();
      const cookies = jar(server);
      return {
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; "),
        session: cookies.get("fc_session") ?? "",
        csrf: cookies.get("fc_csrf") ?? "",
        location,
        setCookies,
      };
    }
    url = next;
    res = await send(url);
  }
  throw new Error("sign-in did not come back to the server within 10 redirects");
}
