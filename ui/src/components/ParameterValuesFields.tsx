import { ParameterType, type Parameter } from "../gen/flightcontrol/v1/spec_pb";
import type { FieldErrors } from "../lib/errors";
import { Field } from "./Field";

/**
 * One input per job parameter, generated from its definition: text or number input, a checkbox
 * for a boolean, a select for an enum; required ones marked, descriptions as hints. `field` is the
 * map's proto path (`parameters`), so the server's and the form's violations land on the input.
 */
export function ParameterValuesFields({
  params,
  values,
  onChange,
  errors,
  field = "parameters",
}: {
  params: readonly Parameter[];
  values: Record<string, string>;
  onChange: (values: Record<string, string>) => void;
  errors: FieldErrors;
  field?: string;
}) {
  const set = (name: string, v: string) => onChange({ ...values, [name]: v });
  return (
    <div className="space-y-3" data-testid="parameter-values">
      {params.map((p) => {
        const path = `${field}[${JSON.stringify(p.name)}]`;
        const v = values[p.name] ?? "";
        const hint = [p.description, !p.required && p.defaultValue && p.type !== ParameterType.BOOLEAN ? `Empty: ${p.defaultValue}` : ""]
          .filter(Boolean)
          .join(" · ");
        if (p.type === ParameterType.BOOLEAN) {
          return (
            <div key={p.name} data-field={path}>
              <label className="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  className="accent-indigo-600"
                  checked={v.toLowerCase() === "true"}
                  onChange={(e) => set(p.name, String(e.target.checked))}
                />
                <span className="font-mono">{p.name}</span>
              </label>
              {p.description && <p className="mt-0.5 text-xs text-zinc-500">{p.description}</p>}
              {errors.get(path) && (
                <p className="mt-0.5 text-xs text-red-700" data-field-error={path}>
                  {errors.get(path)}
                </p>
              )}
            </div>
          );
        }
        const label = (
          <span className="font-mono">
            {p.name}
            {p.required && (
              <span className="ml-0.5 text-red-600" title="required">
                *
              </span>
            )}
          </span>
        );
        return (
          <Field key={p.name} label={label} name={path} error={errors.get(path)} hint={hint || undefined}>
            {(a) =>
              p.type === ParameterType.ENUM ? (
                <select {...a} className="input" required={p.required} value={v} onChange={(e) => set(p.name, e.target.value)}>
                  {(p.required || !p.defaultValue) && <option value="">Choose…</option>}
                  {p.choices.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  {...a}
                  className={`input ${p.type === ParameterType.NUMBER ? "tabular-nums" : ""}`}
                  inputMode={p.type === ParameterType.NUMBER ? "decimal" : undefined}
                  required={p.required}
                  value={v}
                  onChange={(e) => set(p.name, e.target.value)}
                />
              )
            }
          </Field>
        );
      })}
    </div>
  );
}
