import type { KeyValueRow } from "../lib/labels";
import { useListKeys } from "../hooks/useListKeys";
import { Button } from "./Button";

export interface KeyValueEditorProps {
  rows: KeyValueRow[];
  onChange: (rows: KeyValueRow[]) => void;
  keyPlaceholder?: string;
  valuePlaceholder?: string;
  /** Mask values (credential secrets, auth headers). */
  secret?: boolean;
  addLabel?: string;
  /** Per-row error, looked up by key (map violations name the key). */
  rowError?: (key: string) => string | undefined;
  /** Per-row advice that is not an error (e.g. "this looks like a secret"), shown when there is no error. */
  rowWarning?: (key: string) => string | undefined;
  ariaLabel?: string;
}

export function KeyValueEditor({
  rows,
  onChange,
  keyPlaceholder = "key",
  valuePlaceholder = "value",
  secret,
  addLabel = "Add",
  rowError,
  rowWarning,
  ariaLabel,
}: KeyValueEditorProps) {
  const rowKeys = useListKeys(rows.length);
  const update = (i: number, patch: Partial<KeyValueRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const remove = (i: number) => {
    rowKeys.remove(i);
    onChange(rows.filter((_, j) => j !== i));
  };
  return (
    // min-w-0: a fieldset is otherwise at least as wide as its content, unlike the div it replaced.
    <fieldset className="min-w-0 space-y-1.5" aria-label={ariaLabel}>
      {rows.map((r, i) => {
        const err = rowError?.(r.key.trim());
        const warning = err ? undefined : rowWarning?.(r.key.trim());
        return (
          <div key={rowKeys.keys[i]}>
            <div className="flex gap-1.5">
              <input
                className="input font-mono text-xs"
                placeholder={keyPlaceholder}
                value={r.key}
                aria-label={`${ariaLabel ?? "entry"} ${i + 1} name`}
                aria-invalid={!!err}
                onChange={(e) => update(i, { key: e.target.value })}
              />
              <input
                className="input font-mono text-xs"
                placeholder={valuePlaceholder}
                value={r.value}
                type={secret ? "password" : "text"}
                autoComplete={secret ? "new-password" : "off"}
                aria-label={`${ariaLabel ?? "entry"} ${i + 1} value`}
                onChange={(e) => update(i, { value: e.target.value })}
              />
              <Button variant="ghost" size="sm" aria-label="Remove" onClick={() => remove(i)}>
                ✕
              </Button>
            </div>
            {err && <p className="mt-0.5 text-xs text-red-700">{err}</p>}
            {warning && (
              <p className="mt-0.5 text-xs text-amber-700" data-row-warning>
                {warning}
              </p>
            )}
          </div>
        );
      })}
      <Button size="sm" variant="ghost" onClick={() => onChange([...rows, { key: "", value: "" }])}>
        + {addLabel}
      </Button>
    </fieldset>
  );
}
