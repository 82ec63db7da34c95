import { parseError, type FieldErrors } from "../lib/errors";

/**
 * The non-field part of an RPC error: the message for AlreadyExists, NotFound,
 * PermissionDenied and the like, plus any violations the form has no field for.
 */
export function ErrorBanner({ error, fieldErrors, claimed = [] }: { error: unknown; fieldErrors?: FieldErrors; claimed?: readonly string[] }) {
  if (!error) return null;
  const parsed = fieldErrors?.parsed ?? parseError(error);
  const leftovers = fieldErrors ? fieldErrors.unclaimed(claimed) : parsed.violations;
  if (!parsed.message && leftovers.length === 0) {
    return parsed.violations.length ? (
      <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
        Some fields need attention.
      </div>
    ) : null;
  }
  return (
    <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
      {parsed.message && <p>{parsed.message}</p>}
      {leftovers.length > 0 && (
        <ul className="list-disc pl-5">
          {leftovers.map((v, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: one error's violations, never reordered and stateless; two may share path and message.
            <li key={i}>
              {v.path && <code className="mr-1 font-mono text-xs">{v.path}</code>}
              {v.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function InlineError({ error }: { error: unknown }) {
  if (!error) return null;
  const p = parseError(error);
  return (
    <span role="alert" className="text-xs text-red-700">
      {p.message || p.violations.map((v) => v.message).join("; ")}
    </span>
  );
}
