import { useEffect, useState, type FormEvent } from "react";
import { useLocation, useSearchParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { Code } from "@connectrpc/connect";
import { useAuth } from "../hooks/useAuth";
import { parseError } from "../lib/errors";
import { ROLE_DESCRIPTION, ROLE_LABEL } from "../lib/permissions";
import { Brand } from "../components/Brand";
import { Button, buttonClass } from "../components/Button";
import { fetchOidcEnabled, loginUrl } from "../lib/sign-in-endpoints";
import type { ApiKey } from "../gen/flightcontrol/v1/api_key_pb";

export function SignInPage({ notice }: { notice?: string }) {
  const { signIn } = useAuth();
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [who, setWho] = useState<ApiKey>();
  const oidc = useQuery({ queryKey: ["auth-config"], queryFn: () => fetchOidcEnabled(), staleTime: Infinity, retry: false });
  const providerError = useProviderError();
  const location = useLocation();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setWho(await signIn(key.trim()));
    } catch (err) {
      const p = parseError(err);
      setError(p.code === Code.Unauthenticated ? "That key was not accepted. Check it and try again." : p.message || "Sign-in failed.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="flex min-h-screen items-center justify-center bg-zinc-100 px-4">
      <div className="w-full max-w-sm">
        <Brand size="lg" className="mb-6 justify-center" />
        <form onSubmit={submit} className="card space-y-4 p-6">
          <h1 className="text-base font-semibold">Sign in</h1>
          {notice && <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800">{notice}</p>}
          {providerError && (
            <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
              Sign-in with your identity provider failed: {providerError}
            </p>
          )}
          {oidc.data && (
            <div className="space-y-4 border-b border-zinc-200 pb-4">
              {/* A full-page navigation: the server sends the browser on to the identity provider and back. */}
              <a href={loginUrl(location.pathname + location.search)} className={`${buttonClass("primary")} w-full`}>
                Sign in with your identity provider
              </a>
              <p className="text-center text-xs text-zinc-500">or use an API key</p>
            </div>
          )}
          <p className="text-sm text-zinc-500">Paste an API key. The server prints the bootstrap admin key when it starts.</p>
          <div>
            <label htmlFor="api-key" className="mb-1 block text-xs font-medium text-zinc-700">
              API key
            </label>
            <input
              id="api-key"
              name="apiKey"
              className="input font-mono"
              type="password"
              autoComplete="current-password"
              // biome-ignore lint/a11y/noAutofocus: the key is the page's only input; focusing it skips no content a reader needs first.
              autoFocus
              value={key}
              aria-invalid={!!error}
              onChange={(e) => setKey(e.target.value)}
            />
            {error && (
              <p role="alert" className="mt-1 text-xs text-red-700">
                {error}
              </p>
            )}
          </div>
          {who && (
            <p className="text-sm text-zinc-600">
              Signed in as <strong>{who.name}</strong> ({ROLE_LABEL[who.role]}). {ROLE_DESCRIPTION[who.role]}
            </p>
          )}
          <Button type="submit" variant="primary" className="w-full" busy={busy} disabled={!key.trim()}>
            Sign in
          </Button>
        </form>
      </div>
    </div>
  );
}

/**
 * The message the server put in ?sign_in_error= when the identity provider's sign-in failed; taken
 * out of the address so a reload or a bookmark does not show it again.
 */
function useProviderError(): string | undefined {
  const [params, setParams] = useSearchParams();
  const [message] = useState(() => params.get("sign_in_error") ?? undefined);
  useEffect(() => {
    if (!params.has("sign_in_error")) return;
    const rest = new URLSearchParams(params);
    rest.delete("sign_in_error");
    setParams(rest, { replace: true });
  }, [params, setParams]);
  return message;
}
