import { useId, useState } from "react";
import { prettyJson } from "../lib/agent-transcript";

export interface ToolCallCardProps {
  name: string;
  callId: string;
  argumentsJson: string;
  result?: { output: string; isError: boolean };
  /** The run is over, so a call without a result will never get one. */
  finished?: boolean;
}

/** Arguments on one line as `key: value` pairs, strings unquoted; anything else as it came. */
function preview(json: string): string {
  let text = json;
  try {
    const value: unknown = JSON.parse(json);
    if (value && typeof value === "object" && !Array.isArray(value)) {
      text = Object.entries(value)
        .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" · ");
    }
  } catch {
    // Not JSON: shown as is.
  }
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > 160 ? `${one.slice(0, 159)}…` : one;
}

/** Goose names tools `extension__tool`; the extension is context, the tool is the point. */
function ToolName({ name }: { name: string }) {
  const i = name.indexOf("__");
  return (
    <span className="shrink-0 font-mono text-xs" data-tool-name={name}>
      {i > 0 && <span className="text-zinc-400">{name.slice(0, i + 2)}</span>}
      <span className="font-semibold text-indigo-700">{i > 0 ? name.slice(i + 2) : name}</span>
    </span>
  );
}

/** A tool call, collapsed to one line until opened to show its arguments and result. */
export function ToolCallCard({ name, callId, argumentsJson, result, finished }: ToolCallCardProps) {
  const [open, setOpen] = useState(false);
  const bodyId = useId();
  const state = result ? (result.isError ? "error" : "ok") : finished ? "no result" : "running";
  const stateClass = result
    ? result.isError
      ? "text-red-700 bg-red-50 ring-red-200"
      : "text-emerald-700 bg-emerald-50 ring-emerald-200"
    : finished
      ? "text-zinc-600 bg-zinc-50 ring-zinc-200"
      : "text-blue-700 bg-blue-50 ring-blue-200";
  return (
    <div className="rounded-md border border-zinc-200 bg-white" data-tool-call={callId || name}>
      <button
        type="button"
        className="flex w-full items-center gap-2 px-3 py-1.5 text-left text-sm hover:bg-zinc-50"
        aria-expanded={open}
        aria-controls={bodyId}
        onClick={() => setOpen((o) => !o)}
      >
        <span className={`text-zinc-400 transition-transform ${open ? "rotate-90" : ""}`} aria-hidden>
          ▶
        </span>
        <ToolName name={name} />
        {!open && argumentsJson && <span className="min-w-0 flex-1 truncate font-mono text-xs text-zinc-500">{preview(argumentsJson)}</span>}
        <span className={`ml-auto shrink-0 rounded px-1.5 py-0.5 text-[11px] ring-1 ring-inset ${stateClass}`}>{state}</span>
      </button>
      {open && (
        <div id={bodyId} className="space-y-2 border-t border-zinc-100 px-3 py-2">
          <div>
            <div className="mb-0.5 text-[11px] font-medium tracking-wide text-zinc-500 uppercase">Arguments</div>
            <pre
              className="max-h-80 overflow-auto rounded bg-zinc-50 p-2 font-mono text-xs whitespace-pre-wrap text-zinc-800"
              data-testid="tool-args"
            >
              {prettyJson(argumentsJson) || "(none)"}
            </pre>
          </div>
          <div>
            <div className="mb-0.5 text-[11px] font-medium tracking-wide text-zinc-500 uppercase">{result?.isError ? "Error" : "Result"}</div>
            {result ? (
              <pre
                className={`max-h-96 overflow-auto rounded p-2 font-mono text-xs whitespace-pre-wrap ${result.isError ? "bg-red-50 text-red-800" : "bg-zinc-50 text-zinc-800"}`}
                data-testid="tool-result"
              >
                {prettyJson(result.output) || "(empty)"}
              </pre>
            ) : (
              <p className="text-xs text-zinc-500">{finished ? "No result was reported." : "Waiting for the tool…"}</p>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
