import { useMemo, useState } from "react";
import type { Usage } from "../gen/flightcontrol/v1/run_pb";
import type { AgentEventEntry } from "../lib/run-output";
import { buildTranscript, effectiveUsage, type TranscriptItem } from "../lib/agent-transcript";
import { usageCells } from "../lib/usage";
import { ToolCallCard } from "./ToolCallCard";
import { UsageSummary } from "./UsageSummary";
import { ResultBox } from "./ResultBox";

// Rendering every event of a very long session would make the tab sluggish; older items are
// one click away.
const WINDOW = 400;

export interface AgentViewProps {
  events: readonly AgentEventEntry[];
  /** events.length at render time; the array may be mutated in place between renders. */
  count: number;
  runUsage?: Usage;
  result?: string;
  finished?: boolean;
  /** Off when the page already shows the run's usage next to the timeline. */
  showUsage?: boolean;
}

/** The agent's session as a reader wants it: messages, tool calls with results, usage. */
export function AgentView({ events, count, runUsage, result, finished, showUsage = true }: AgentViewProps) {
  // `count` stands in for the contents of the mutable events array.
  const items = useMemo(() => buildTranscript(events.slice(0, count)), [events, count]);
  const [shown, setShown] = useState(WINDOW);
  const usage = effectiveUsage(runUsage, items);
  const visible = items.length > shown ? items.slice(items.length - shown) : items;

  return (
    <div className="space-y-3">
      {showUsage && usage && (
        <div className="flex items-center justify-between rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2">
          <span className="text-xs font-medium text-zinc-600">Token usage</span>
          <UsageSummary usage={usage} />
        </div>
      )}
      {items.length === 0 && <p className="px-1 py-6 text-center text-sm text-zinc-500">No agent events {finished ? "were reported" : "yet"}.</p>}
      {items.length > shown && (
        <button type="button" className="text-xs text-indigo-700 hover:underline" onClick={() => setShown((s) => s + WINDOW)}>
          Show {Math.min(WINDOW, items.length - shown)} earlier events
        </button>
      )}
      <ol className="space-y-2">
        {visible.map((it) => (
          <li key={it.key}>
            <TranscriptRow item={it} finished={finished} />
          </li>
        ))}
      </ol>
      {result && <ResultBox result={result} succeeded />}
    </div>
  );
}

function TranscriptRow({ item, finished }: { item: TranscriptItem; finished?: boolean }) {
  switch (item.type) {
    case "message":
      return (
        <div className="rounded-md border border-zinc-200 bg-white px-3 py-2" data-agent="assistant">
          <div className="mb-0.5 text-[11px] font-medium tracking-wide text-violet-700 uppercase">Assistant</div>
          <p className="text-sm leading-relaxed whitespace-pre-wrap text-zinc-900">{item.text}</p>
        </div>
      );
    case "tool":
      return <ToolCallCard name={item.name} callId={item.callId} argumentsJson={item.argumentsJson} result={item.result} finished={finished} />;
    case "notification":
      return (
        <p className="px-1 text-xs text-zinc-500" data-agent="notification">
          {item.source && <span className="mr-1 font-mono text-zinc-400">[{item.source}]</span>}
          {item.message}
        </p>
      );
    case "usage":
      return (
        <p className="px-1 font-mono text-[11px] text-zinc-400" data-agent="usage">
          usage ·{" "}
          {usageCells(item.usage)
            .map((c) => `${c.label.toLowerCase()} ${c.value}`)
            .join(" · ")}
        </p>
      );
    case "error":
      return (
        <div className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800" data-agent="error">
          {item.message}
        </div>
      );
  }
}
