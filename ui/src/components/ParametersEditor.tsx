import { ParameterType } from "../gen/flightcontrol/v1/spec_pb";
import type { FieldErrors } from "../lib/errors";
import { choiceList, emptyParameter, PARAMETER_TYPES, type ParameterDraft } from "../lib/parameter-draft";
import { useListKeys } from "../hooks/useListKeys";
import { Button } from "./Button";
import { Field, FieldGroup } from "./Field";

/** JobSpec.parameters: the job's inputs, filled into `{{name}}` placeholders when it is triggered. */
export function ParametersEditor({
  value,
  onChange,
  errors,
  path,
}: {
  value: ParameterDraft[];
  onChange: (params: ParameterDraft[]) => void;
  errors: FieldErrors;
  path: string;
}) {
  const keys = useListKeys(value.length);
  const update = (i: number, patch: Partial<ParameterDraft>) => onChange(value.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  const remove = (i: number) => {
    keys.remove(i);
    onChange(value.filter((_, j) => j !== i));
  };
  return (
    <FieldGroup
      label="Parameters"
      name={path}
      error={errors.get(path)}
      hint={value.length ? "Write {{name}} in the prompt, system instructions, setup script, env values or work branch." : undefined}
    >
      <div className="space-y-2">
        {value.map((p, i) => (
          <ParameterRow
            key={keys.keys[i]}
            index={i}
            draft={p}
            onChange={(patch) => update(i, patch)}
            onRemove={() => remove(i)}
            errors={errors}
            path={`${path}[${i}]`}
          />
        ))}
        <Button size="sm" variant="ghost" onClick={() => onChange([...value, emptyParameter()])}>
          + Parameter
        </Button>
      </div>
    </FieldGroup>
  );
}

function ParameterRow({
  index,
  draft: p,
  onChange,
  onRemove,
  errors,
  path,
}: {
  index: number;
  draft: ParameterDraft;
  onChange: (patch: Partial<ParameterDraft>) => void;
  onRemove: () => void;
  errors: FieldErrors;
  path: string;
}) {
  const at = (f: string) => `${path}.${f}`;
  const n = index + 1;
  return (
    <div className="space-y-2 rounded-md border border-zinc-200 bg-zinc-50/60 p-2.5" data-parameter={index}>
      <div className="grid grid-cols-[minmax(0,1fr)_130px_auto] items-end gap-2">
        <Field label={`Parameter ${n} name`} name={at("name")} error={errors.get(at("name"))}>
          {(a) => (
            <input
              {...a}
              className="input font-mono text-xs"
              placeholder="target_branch"
              value={p.name}
              onChange={(e) => onChange({ name: e.target.value })}
            />
          )}
        </Field>
        <Field label={`Parameter ${n} type`} name={at("type")} error={errors.get(at("type"))}>
          {(a) => (
            <select {...a} className="input text-xs" value={p.type} onChange={(e) => onChange({ type: Number(e.target.value), defaultValue: "" })}>
              {PARAMETER_TYPES.map(([t, label]) => (
                <option key={t} value={t}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Button variant="ghost" size="sm" aria-label={`Remove parameter ${n}`} onClick={onRemove} className="mb-1">
          ✕
        </Button>
      </div>
      {p.type === ParameterType.ENUM && (
        <Field label={`Parameter ${n} choices`} name={at("choices")} error={errors.get(at("choices"), true)} hint="One per line.">
          {(a) => (
            <textarea {...a} className="input font-mono text-xs" rows={3} value={p.choices} onChange={(e) => onChange({ choices: e.target.value })} />
          )}
        </Field>
      )}
      <Field label={`Parameter ${n} description`} name={at("description")} error={errors.get(at("description"))}>
        {(a) => (
          <input
            {...a}
            className="input text-xs"
            placeholder="Shown as the hint when the job is triggered"
            value={p.description}
            onChange={(e) => onChange({ description: e.target.value })}
          />
        )}
      </Field>
      <div className="grid grid-cols-[auto_minmax(0,1fr)] items-end gap-3">
        <label className="mb-1.5 flex items-center gap-1.5 text-xs text-zinc-700">
          <input type="checkbox" className="accent-indigo-600" checked={p.required} onChange={(e) => onChange({ required: e.target.checked })} />
          Required
        </label>
        {p.required ? (
          <p className="mb-1.5 text-xs text-zinc-500">Every trigger gives a value; no default.</p>
        ) : (
          <Field label={`Parameter ${n} default`} name={at("default_value")} error={errors.get(at("default_value"))}>
            {(a) => <DefaultInput a={a} draft={p} onChange={(defaultValue) => onChange({ defaultValue })} />}
          </Field>
        )}
      </div>
    </div>
  );
}

function DefaultInput({
  a,
  draft: p,
  onChange,
}: {
  a: { id: string; name?: string; "aria-invalid": boolean; "aria-describedby"?: string };
  draft: ParameterDraft;
  onChange: (v: string) => void;
}) {
  if (p.type === ParameterType.BOOLEAN) {
    return (
      <select {...a} className="input text-xs" value={p.defaultValue || "false"} onChange={(e) => onChange(e.target.value)}>
        <option value="false">false</option>
        <option value="true">true</option>
      </select>
    );
  }
  if (p.type === ParameterType.ENUM) {
    return (
      <select {...a} className="input text-xs" value={p.defaultValue} onChange={(e) => onChange(e.target.value)}>
        <option value="">Choose the default…</option>
        {choiceList(p.choices).map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  }
  return (
    <input
      {...a}
      className="input font-mono text-xs"
      inputMode={p.type === ParameterType.NUMBER ? "decimal" : undefined}
      value={p.defaultValue}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}
