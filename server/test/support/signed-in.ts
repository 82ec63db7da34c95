import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

/** What a scripted sign-in leaves the browser with (testkit/oidc-provider.ts scriptedSignIn). */
export interface SignedIn {
  cookie: string;
  csrf: string;
}

/**
 * A client that sends what the dashboard sends after signing in: the session cookie, its CSRF
 * header (another value, or none with `csrf: null`) and the workspace it acts in.
 */
export function signedInClient<S extends DescService>(
  service: S,
  baseUrl: string,
  signIn: SignedIn,
  opts: { workspace?: string; csrf?: string | null } = {},
) {
  const headers: Interceptor = (next) => (req) => {
    req.header.set("cookie", signIn.cookie);
    if (opts.csrf !== null) req.header.set("x-csrf-token", opts.csrf ?? signIn.csrf);
    if (opts.workspace) req.header.set("x-workspace-id", opts.workspace);
    return next(req);
  };
  return createClient(service, createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [headers] }));
}

/** "ok", or the Connect code and message a call failed with ("NotFound: …"), for one-line expectations. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return `${Code[ConnectError.from(err).code]}: ${ConnectError.from(err).rawMessage}`;
  }
}
