import { memo, useCallback, useLayoutEffect, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { LineKind, LogEntry } from "../lib/run-output";
import { clockTime } from "../lib/format";
import { AnsiText } from "./AnsiText";
import { Button } from "./Button";

export const LOG_ROW_HEIGHT = 18;
// How close to the bottom still counts as "at the bottom" (sub-pixel rounding, zoom).
const BOTTOM_SLACK = LOG_ROW_HEIGHT * 2;

const KIND_CLASS: Record<LineKind, string> = {
  stdout: "text-zinc-200",
  stderr: "text-red-300",
  system: "text-sky-300",
  agent: "text-violet-300",
};

export interface LogViewerProps {
  /** May be the same, mutated array between renders; `count` says how much of it to show. */
  lines: readonly LogEntry[];
  count: number;
  className?: string;
  emptyText?: string;
  onDownload?: () => void;
  downloading?: boolean;
  toolbarExtra?: React.ReactNode;
}

/**
 * Virtualised terminal-style log: only the rows in view (plus overscan) exist in the DOM, so a
 * 100,000-line run scrolls as smoothly as a short one. Follows the tail until the user scrolls
 * up, then offers a jump back.
 */
export function LogViewer({
  lines,
  count,
  className = "h-[560px]",
  emptyText = "No output yet.",
  onDownload,
  downloading,
  toolbarExtra,
}: LogViewerProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const [timestamps, setTimestamps] = useState(false);
  const [countWhenPaused, setCountWhenPaused] = useState(0);
  const lastScrollTop = useRef(0);

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => LOG_ROW_HEIGHT,
    overscan: 25,
  });

  // Refs mirror state so the scroll handler stays stable and never sets state from an updater.
  const followRef = useRef(true);
  const countRef = useRef(count);
  countRef.current = count;
  const setFollowing = useCallback((on: boolean) => {
    if (followRef.current === on) return;
    followRef.current = on;
    if (!on) setCountWhenPaused(countRef.current);
    setFollow(on);
  }, []);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK;
    // Only an upward move is the user's: growth of the log moves the bottom, not scrollTop.
    if (atBottom) setFollowing(true);
    else if (el.scrollTop < lastScrollTop.current) setFollowing(false);
    lastScrollTop.current = el.scrollTop;
  }, [setFollowing]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: count is the trigger, not an input: each new line scrolls a followed log to its new bottom.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!follow || !el) return;
    el.scrollTop = el.scrollHeight;
    lastScrollTop.current = el.scrollTop;
  }, [count, follow]);

  const gutter = String(Math.max(count, 1)).length;
  const items = virtualizer.getVirtualItems();

  return (
    <div className="flex flex-col overflow-hidden rounded-lg border border-zinc-800 bg-zinc-950">
      <div className="flex items-center gap-3 border-b border-zinc-800 px-3 py-1.5 text-xs text-zinc-400">
        <span data-testid="log-line-count">{count.toLocaleString("en")} lines</span>
        <label className="flex cursor-pointer items-center gap-1 select-none">
          <input type="checkbox" className="accent-indigo-500" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} />
          timestamps
        </label>
        <span className={follow ? "text-emerald-400" : "text-zinc-500"}>{follow ? "following" : "paused"}</span>
        <div className="ml-auto flex items-center gap-2">
          {toolbarExtra}
          {onDownload && (
            <button
              type="button"
              className="rounded px-2 py-0.5 text-zinc-300 hover:bg-zinc-800 hover:text-white disabled:opacity-50"
              onClick={onDownload}
              disabled={downloading}
            >
              {downloading ? "Downloading…" : "Download .txt"}
            </button>
          )}
        </div>
      </div>
      <div className="relative">
        <div
          ref={scrollRef}
          onScroll={onScroll}
          data-log-scroller=""
          role="log"
          aria-live="off"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable for keyboard users to scroll it (WCAG 2.1.1).
          tabIndex={0}
          className={`overflow-auto font-mono text-xs ${className}`}
        >
          {count === 0 ? (
            <div className="px-4 py-6 text-zinc-500">{emptyText}</div>
          ) : (
            <div style={{ height: virtualizer.getTotalSize(), position: "relative", minWidth: "100%" }}>
              {items.map((item) => {
                const entry = lines[item.index];
                if (!entry) return null;
                return <LogRow key={item.key} entry={entry} index={item.index} start={item.start} gutter={gutter} timestamps={timestamps} />;
              })}
            </div>
          )}
        </div>
        {!follow && (
          <Button variant="primary" size="sm" className="absolute right-4 bottom-3 shadow-lg" onClick={() => setFollowing(true)}>
            ↓ Jump to latest{count > countWhenPaused ? ` (${(count - countWhenPaused).toLocaleString("en")} new)` : ""}
          </Button>
        )}
      </div>
    </div>
  );
}

const LogRow = memo(function LogRow({
  entry,
  index,
  start,
  gutter,
  timestamps,
}: {
  entry: LogEntry;
  index: number;
  start: number;
  gutter: number;
  timestamps: boolean;
}) {
  return (
    <div
      className={`absolute left-0 flex w-max min-w-full whitespace-pre hover:bg-white/5 ${KIND_CLASS[entry.kind]}`}
      style={{ top: 0, transform: `translateY(${start}px)`, height: LOG_ROW_HEIGHT, lineHeight: `${LOG_ROW_HEIGHT}px` }}
      data-line={index + 1}
      data-kind={entry.kind}
    >
      <span className="sticky left-0 shrink-0 bg-zinc-950 pr-3 pl-3 text-right text-zinc-600 select-none" style={{ width: `${gutter + 3}ch` }}>
        {index + 1}
      </span>
      {timestamps && (
        <span className="shrink-0 pr-3 text-zinc-500 select-none">
          {clockTime(entry.timeMs !== undefined ? new Date(entry.timeMs) : undefined) || "            "}
        </span>
      )}
      <span className="pr-4">
        <AnsiText text={entry.text} />
      </span>
    </div>
  );
});
