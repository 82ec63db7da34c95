import * as client from "openid-client";
import type { FernetKeyring } from "../crypto/fernet";
import { fernetDecrypt, fernetEncrypt } from "../crypto/fernet";
import { permissionDenied, unavailable } from "../errors";
import type { PersonClaims } from "./sessions";

/** The identity provider Flight Control signs people in with (ORCH_OIDC_*). */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Absent for a public client (PKCE alone authenticates the exchange). */
  clientSecret?: string;
  /** Space-separated; must include openid (config.ts checks), and the provider must release the email claim for them. */
  scopes: string;
}

/**
 * One sign-in in progress, between the redirect to the provider and its redirect back: what the
 * callback must check (state, nonce) and prove (the PKCE verifier). It travels sealed (encrypted
 * and authenticated with the master key) in a short-lived cookie, so any replica can finish it.
 */
export interface LoginTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  /** The dashboard path to land on afterwards. */
  returnTo: string;
}

/** How long a sign-in may take at the provider. */
export const LOGIN_TRANSACTION_TTL_SECONDS = 600;

/**
 * Sign-in through OpenID Connect with openid-client: the authorization code flow with PKCE (S256),
 * state and nonce. The provider's metadata is discovered on first use (and again after a failure),
 * so the server starts even while the provider is down.
 */
export function createOidc(settings: OidcSettings, keyring: FernetKeyring) {
  let discovered: Promise<client.Configuration> | undefined;

  function configuration(): Promise<client.Configuration> {
    discovered ??= client
      .discovery(
        new URL(settings.issuer),
        settings.clientId,
        undefined,
        settings.clientSecret ? client.ClientSecretBasic(settings.clientSecret) : client.None(),
        // A provider on plain http (a test, or one on the same host) is the operator's choice to make.
        settings.issuer.startsWith("http:") ? { execute: [client.allowInsecureRequests] } : undefined,
      )
      .catch((err: unknown) => {
        discovered = undefined;
        throw unavailable(`could not reach the identity provider at ${settings.issuer} (${(err as Error).message}); check ORCH_OIDC_ISSUER`, err);
      });
    return discovered;
  }

  return {
    /** Where to send the browser, and the transaction its callback must bring back. */
    async start(redirectUri: string, returnTo: string): Promise<{ url: URL; transaction: LoginTransaction }> {
      const config = await configuration();
      const transaction: LoginTransaction = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
        redirectUri,
        returnTo,
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: settings.scopes,
        response_type: "code",
        code_challenge: await client.calculatePKCECodeChallenge(transaction.codeVerifier),
        code_challenge_method: "S256",
        state: transaction.state,
        nonce: transaction.nonce,
      });
      return { url, transaction };
    },

    /**
     * Exchanges the code in the callback's query string (`?code=…&state=…`) (checking state, nonce and the PKCE verifier), and reads who
     * signed in from the ID token, and from the UserInfo endpoint for what the ID token leaves out
     * (many providers put email there only).
     */
    async finish(callbackQuery: string, tx: LoginTransaction): Promise<PersonClaims> {
      const config = await configuration();
      // openid-client sends the current URL, less its query, as redirect_uri: it must be the one the
      // authorization request named, whatever Host the callback arrived with.
      const callbackUrl = new URL(tx.redirectUri);
      callbackUrl.search = callbackQuery;
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: tx.codeVerifier,
          expectedState: tx.state,
          expectedNonce: tx.nonce,
          idTokenExpected: true,
        });
      } catch (err) {
        throw permissionDenied(`the identity provider did not complete the sign-in: ${describe(err)}`);
      }
      const id = tokens.claims();
      if (!id) throw permissionDenied("the identity provider returned no ID token; is the 'openid' scope allowed for this client?");
      let claims: Record<string, unknown> = { ...id };
      if (claims.email === undefined && tokens.access_token) {
        const info = await client.fetchUserInfo(config, tokens.access_token, id.sub).catch((err: unknown) => {
          throw permissionDenied(`could not read your profile from the identity provider: ${describe(err)}`);
        });
        claims = { ...info, ...id };
      }
      return {
        issuer: String(id.iss),
        subject: id.sub,
        email: typeof claims.email === "string" ? claims.email : undefined,
        emailVerified: typeof claims.email_verified === "boolean" ? claims.email_verified : undefined,
        name: typeof claims.name === "string" ? claims.name : undefined,
      };
    },

    seal: (tx: LoginTransaction): string => fernetEncrypt(keyring, JSON.stringify(tx)),
    /** The transaction, or undefined if the value is not one this server sealed within the TTL. */
    open(sealed: string | undefined): LoginTransaction | undefined {
      if (!sealed) return undefined;
      try {
        return JSON.parse(fernetDecrypt(keyring, sealed, { ttlSeconds: LOGIN_TRANSACTION_TTL_SECONDS }).toString("utf8"));
      } catch {
        return undefined;
      }
    },
  };
}

/** openid-client's errors carry the provider's error and description; show those. */
function describe(err: unknown): string {
  const e = err as { error?: string; error_description?: string; message?: string };
  if (e.error) return e.error_description ? `${e.error}: ${e.error_description}` : e.error;
  return e.message ?? String(err);
}

export type Oidc = ReturnType<typeof createOidc>;
