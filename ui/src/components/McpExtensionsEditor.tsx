import { useId } from "react";
import type { FieldErrors } from "../lib/errors";
import { useListKeys } from "../hooks/useListKeys";
import { emptyExtension, type ExtensionDraft } from "../lib/job-spec-draft";
import { Button } from "./Button";
import { Field, FieldGroup } from "./Field";
import { KeyValueEditor } from "./KeyValueEditor";

export interface McpExtensionsEditorProps {
  value: ExtensionDraft[];
  onChange: (value: ExtensionDraft[]) => void;
  errors: FieldErrors;
  /** Proto path of the list, e.g. `spec.extensions`. */
  path: string;
}

/** How env and header values are kept (proto McpExtension): said where they are typed. */
const SECRET_HINT =
  "Reference a secret as ${credential:NAME/VAR} (attach the credential below). Other values are stored encrypted and shown as ***; leave *** to keep one.";

/** MCP servers for the agent: stdio (command, args, env) or streamable HTTP (url, headers). */
export function McpExtensionsEditor({ value, onChange, errors, path }: McpExtensionsEditorProps) {
  const id = useId();
  const extensionKeys = useListKeys(value.length);
  const update = (i: number, patch: Partial<ExtensionDraft>) => onChange(value.map((e, j) => (j === i ? { ...e, ...patch } : e)));
  const remove = (i: number) => {
    extensionKeys.remove(i);
    onChange(value.filter((_, j) => j !== i));
  };
  return (
    <FieldGroup
      label="MCP extensions"
      name={path}
      error={errors.get(path)}
      hint={value.length === 0 ? "Extra tools for the agent, as Model Context Protocol servers." : undefined}
      actions={
        <Button size="sm" variant="ghost" onClick={() => onChange([...value, emptyExtension()])}>
          + Add extension
        </Button>
      }
    >
      <div className="space-y-2">
        {value.map((ext, i) => {
          const p = `${path}[${i}]`;
          const key = extensionKeys.keys[i];
          return (
            <div key={key} className="rounded-md border border-zinc-200 bg-zinc-50/60 p-3" data-extension={i}>
              <div className="mb-2 flex items-end gap-2">
                <Field label="Extension name" name={`${p}.name`} error={errors.get(`${p}.name`)} className="flex-1">
                  {(a) => (
                    <input
                      {...a}
                      className="input font-mono"
                      placeholder="github"
                      value={ext.name}
                      onChange={(e) => update(i, { name: e.target.value })}
                    />
                  )}
                </Field>
                {/* Native radios drawn as a segmented control: arrow keys move between them, as a radio group's should. */}
                <fieldset aria-label={`Extension ${i + 1} transport`} className="flex min-w-0 overflow-hidden rounded-md ring-1 ring-zinc-300">
                  {(["stdio", "streamable_http"] as const).map((t) => (
                    <label
                      key={t}
                      className={`cursor-pointer px-2.5 py-1.5 text-xs has-[:focus-visible]:outline-2 has-[:focus-visible]:-outline-offset-2 has-[:focus-visible]:outline-indigo-500 ${ext.transport === t ? "bg-indigo-600 text-white" : "bg-white text-zinc-700 hover:bg-zinc-50"}`}
                    >
                      <input
                        type="radio"
                        className="sr-only"
                        name={`${id}-${key}-transport`}
                        checked={ext.transport === t}
                        onChange={() => update(i, { transport: t })}
                      />
                      {t === "stdio" ? "stdio" : "HTTP"}
                    </label>
                  ))}
                </fieldset>
                <Field label="Timeout (s)" name={`${p}.timeout_seconds`} error={errors.get(`${p}.timeout_seconds`)} className="w-24">
                  {(a) => (
                    <input
                      {...a}
                      className="input"
                      type="number"
                      min={0}
                      placeholder="default"
                      value={ext.timeoutSeconds}
                      onChange={(e) => update(i, { timeoutSeconds: e.target.value })}
                    />
                  )}
                </Field>
                <Button variant="ghost" size="sm" aria-label={`Remove extension ${i + 1}`} onClick={() => remove(i)}>
                  ✕
                </Button>
              </div>
              {ext.transport === "stdio" ? (
                <div className="grid grid-cols-2 gap-2">
                  <Field label="Command" name={`${p}.stdio.command`} error={errors.get(`${p}.stdio.command`)} className="col-span-2">
                    {(a) => (
                      <input
                        {...a}
                        className="input font-mono"
                        placeholder="npx"
                        value={ext.command}
                        onChange={(e) => update(i, { command: e.target.value })}
                      />
                    )}
                  </Field>
                  <Field label="Arguments (one per line)" name={`${p}.stdio.args`} error={errors.get(`${p}.stdio.args`, true)}>
                    {(a) => (
                      <textarea
                        {...a}
                        className="input font-mono text-xs"
                        rows={3}
                        placeholder={"-y\n@modelcontextprotocol/server-github"}
                        value={ext.args}
                        onChange={(e) => update(i, { args: e.target.value })}
                      />
                    )}
                  </Field>
                  <FieldGroup label="Environment" name={`${p}.stdio.env`} error={errors.get(`${p}.stdio.env`, true)} hint={SECRET_HINT}>
                    <KeyValueEditor
                      ariaLabel={`Extension ${i + 1} env`}
                      rows={ext.env}
                      onChange={(env) => update(i, { env })}
                      keyPlaceholder="NAME"
                      addLabel="Variable"
                    />
                  </FieldGroup>
                </div>
              ) : (
                <div className="grid grid-cols-2 gap-2">
                  <Field label="URL" name={`${p}.streamable_http.url`} error={errors.get(`${p}.streamable_http.url`)} className="col-span-2">
                    {(a) => (
                      <input
                        {...a}
                        className="input font-mono"
                        placeholder="https://mcp.example.com/mcp"
                        value={ext.url}
                        onChange={(e) => update(i, { url: e.target.value })}
                      />
                    )}
                  </Field>
                  <FieldGroup
                    label="Headers"
                    name={`${p}.streamable_http.headers`}
                    error={errors.get(`${p}.streamable_http.headers`, true)}
                    hint={SECRET_HINT}
                  >
                    <KeyValueEditor
                      ariaLabel={`Extension ${i + 1} headers`}
                      rows={ext.headers}
                      onChange={(headers) => update(i, { headers })}
                      keyPlaceholder="Authorization"
                      secret
                      addLabel="Header"
                    />
                  </FieldGroup>
                </div>
              )}
            </div>
          );
        })}
      </div>
    </FieldGroup>
  );
}
