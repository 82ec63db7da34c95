import { useId, type ReactNode } from "react";

export interface FieldProps {
  label: ReactNode;
  /** The proto path the server reports violations on; also the DOM name for tests and e2e. */
  name?: string;
  error?: string;
  hint?: ReactNode;
  children: (props: { id: string; name?: string; "aria-invalid": boolean; "aria-describedby"?: string }) => ReactNode;
  className?: string;
}

/** Label, control, hint and the server's violation message, wired together for screen readers. */
export function Field({ label, name, error, hint, children, className = "" }: FieldProps) {
  const id = useId();
  const errId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errId : "", hint ? hintId : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className={className} data-field={name}>
      <label htmlFor={id} className="mb-1 block text-xs font-medium text-zinc-700">
        {label}
      </label>
      {children({ id, name, "aria-invalid": !!error, "aria-describedby": describedBy })}
      {hint && !error && (
        <p id={hintId} className="mt-1 text-xs text-zinc-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={errId} className="mt-1 text-xs text-red-700" data-field-error={name}>
          {error}
        </p>
      )}
    </div>
  );
}

/** For compound editors (labels, extensions) that have no single control to label. */
export function FieldGroup({
  label,
  name,
  error,
  hint,
  children,
  actions,
}: {
  label: ReactNode;
  name?: string;
  error?: string;
  hint?: ReactNode;
  children: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <fieldset data-field={name} aria-invalid={!!error}>
      <div className="mb-1 flex items-center justify-between">
        <legend className="text-xs font-medium text-zinc-700">{label}</legend>
        {actions}
      </div>
      {children}
      {hint && !error && <p className="mt-1 text-xs text-zinc-500">{hint}</p>}
      {error && (
        <p className="mt-1 text-xs text-red-700" data-field-error={name}>
          {error}
        </p>
      )}
    </fieldset>
  );
}
