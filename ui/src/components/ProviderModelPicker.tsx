import { useId } from "react";
import type { Credential } from "../gen/flightcontrol/v1/credential_pb";
import { PROVIDERS, providerInfo } from "../lib/providers";
import { Field } from "./Field";

export interface ProviderModelPickerProps {
  provider: string;
  model: string;
  onChange: (patch: { provider?: string; model?: string }) => void;
  providerError?: string;
  modelError?: string;
  providerName: string;
  modelName: string;
  /** The credentials the form has selected, to warn when the provider's key is missing. */
  selectedCredentials?: Credential[];
}

/** Provider select with each provider's environment variable, and a model field with suggestions. */
export function ProviderModelPicker({
  provider,
  model,
  onChange,
  providerError,
  modelError,
  providerName,
  modelName,
  selectedCredentials,
}: ProviderModelPickerProps) {
  const listId = useId();
  const info = providerInfo(provider);
  const known = !provider || !!info;
  const provided = new Set(selectedCredentials?.flatMap((c) => c.envNames) ?? []);
  const missing = info?.env.filter((e) => !provided.has(e)) ?? [];

  const hint = info ? (
    <span data-testid="provider-env-hint">
      Needs <code className="font-mono">{info.env.join(", ")}</code>
      {selectedCredentials && missing.length > 0 && missing.length === info.env.length && (
        <span className="text-amber-700"> — no selected credential provides it</span>
      )}
    </span>
  ) : provider ? (
    "A provider name the agent understands."
  ) : (
    "Empty uses the agent's own configuration."
  );

  return (
    <div className="grid grid-cols-2 gap-3">
      <Field label="Provider" name={providerName} error={providerError} hint={hint}>
        {(a) => (
          <div className="flex gap-1.5">
            <select
              {...a}
              className="input"
              value={known ? provider : "__other"}
              onChange={(e) => {
                const v = e.target.value;
                if (v === "__other") onChange({ provider: provider && !known ? provider : "custom" });
                else onChange({ provider: v, model: v === provider ? model : "" });
              }}
            >
              <option value="">Agent default</option>
              {PROVIDERS.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.label}
                </option>
              ))}
              <option value="__other">Other…</option>
            </select>
            {!known && (
              <input
                className="input font-mono"
                aria-label="Custom provider"
                value={provider}
                onChange={(e) => onChange({ provider: e.target.value })}
              />
            )}
          </div>
        )}
      </Field>
      <Field label="Model" name={modelName} error={modelError} hint={info?.models.length ? "Pick a suggestion or type any model name." : undefined}>
        {(a) => (
          <>
            <input
              {...a}
              className="input font-mono"
              list={listId}
              placeholder={info?.models[0] ?? "provider default"}
              value={model}
              onChange={(e) => onChange({ model: e.target.value })}
            />
            <datalist id={listId}>
              {info?.models.map((m) => (
                <option key={m} value={m} />
              ))}
            </datalist>
          </>
        )}
      </Field>
    </div>
  );
}
