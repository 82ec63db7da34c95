import { Code } from "@connectrpc/connect";
import { useQuery } from "@connectrpc/connect-query";
import { CredentialService, type Credential } from "../gen/flightcontrol/v1/credential_pb";
import { errorMessage, isCode } from "../lib/errors";

export function useCredentialList() {
  return useQuery(CredentialService.method.listCredentials, {}, { retry: false });
}

/** Multi-select of stored credentials; values are never shown, only variable names. */
export function CredentialPicker({
  value,
  onChange,
  credentials,
  loading,
  error,
  invalid,
  ariaLabel = "Credentials",
}: {
  value: string[];
  onChange: (ids: string[]) => void;
  credentials: Credential[] | undefined;
  loading: boolean;
  error: unknown;
  invalid?: boolean;
  /** The list's accessible name, when a form has more than one picker. */
  ariaLabel?: string;
}) {
  if (error) {
    return (
      <p className="text-xs text-zinc-500">
        {isCode(error, Code.PermissionDenied) ? "Your role cannot list credentials; ask an admin to attach them to a job." : errorMessage(error)}
        {value.length > 0 && ` (${value.length} attached)`}
      </p>
    );
  }
  if (loading) return <p className="text-xs text-zinc-500">Loading credentials…</p>;
  if (!credentials?.length) return <p className="text-xs text-zinc-500">No credentials stored yet.</p>;
  const toggle = (id: string) => onChange(value.includes(id) ? value.filter((v) => v !== id) : [...value, id]);
  return (
    // min-w-0: a fieldset is otherwise at least as wide as its content; this one scrolls and truncates instead.
    <fieldset
      className={`max-h-48 min-w-0 divide-y divide-zinc-100 overflow-auto rounded-md border ${invalid ? "border-red-400" : "border-zinc-300"} bg-white`}
      aria-label={ariaLabel}
    >
      {credentials.map((c) => (
        <div key={c.id}>
          <label className="flex cursor-pointer items-start gap-2 px-2.5 py-1.5 hover:bg-zinc-50">
            <input type="checkbox" className="mt-0.5 accent-indigo-600" checked={value.includes(c.id)} onChange={() => toggle(c.id)} />
            <span className="min-w-0">
              <span className="block text-sm text-zinc-900">{c.name}</span>
              <span className="block truncate font-mono text-[11px] text-zinc-500">{c.envNames.join(", ")}</span>
            </span>
          </label>
        </div>
      ))}
    </fieldset>
  );
}
