import { memo, useMemo } from "react";
import { Diff, Hunk, markEdits, tokenize, type HunkTokens, type ViewType } from "react-diff-view";
import type { DiffFile } from "../lib/diff-files";
import { renderedLines } from "../lib/diff-files";
import { languageOf } from "../lib/diff-language";
import { diffHighlighter, isRegistered } from "../lib/highlighter";
import { count } from "../lib/format";
import { Button } from "./Button";

const TYPE_LABEL: Partial<Record<DiffFile["type"], string>> = { add: "added", delete: "deleted", rename: "renamed", copy: "copied" };

/** Syntax tokens plus word-level edit marks; a language refractor fails on is shown plain instead. */
function fileTokens(file: DiffFile): HunkTokens | null {
  const hunks = file.data.hunks;
  if (hunks.length === 0) return null;
  const language = languageOf(file.path, isRegistered);
  const enhancers = [markEdits(hunks, { type: "block" })];
  try {
    return language ? tokenize(hunks, { highlight: true, refractor: diffHighlighter, language, enhancers }) : tokenize(hunks, { enhancers });
  } catch {
    return tokenize(hunks);
  }
}

function DiffBody({ file, viewType }: { file: DiffFile; viewType: ViewType }) {
  // Tokenising is the expensive part; it runs only for an expanded file, once per file.
  const tokens = useMemo(() => fileTokens(file), [file]);
  return (
    <Diff viewType={viewType} diffType={file.type} hunks={file.data.hunks} tokens={tokens} className="fc-diff">
      {(hunks) => hunks.map((h) => <Hunk key={h.content} hunk={h} />)}
    </Diff>
  );
}

/** One file of the run's diff: its header with +/− counts, and its hunks unless collapsed. */
export const DiffFileCard = memo(function DiffFileCard({
  file,
  viewType,
  collapsed,
  onToggle,
}: {
  file: DiffFile;
  viewType: ViewType;
  collapsed: boolean;
  onToggle: (key: string) => void;
}) {
  const lines = renderedLines(file);
  const hasBody = !file.binary && lines > 0;
  return (
    <section className="card overflow-hidden" data-diff-file={file.path} id={`diff-${file.key}`}>
      <header className="flex flex-wrap items-center gap-2 border-b border-zinc-200 bg-zinc-50 px-3 py-1.5">
        <h3 className="min-w-0 flex-1 truncate font-mono text-xs text-zinc-800" title={file.path}>
          {file.oldPath && <span className="text-zinc-500">{file.oldPath} → </span>}
          {file.path}
        </h3>
        {TYPE_LABEL[file.type] && <span className="text-[11px] text-zinc-500">{TYPE_LABEL[file.type]}</span>}
        {file.binary ? (
          <span className="rounded bg-zinc-200 px-1.5 py-0.5 text-[11px] text-zinc-700" data-binary>
            binary
          </span>
        ) : (
          <span className="font-mono text-xs" data-file-stat>
            <span className="text-emerald-700">+{count(file.insertions)}</span> <span className="text-red-700">−{count(file.deletions)}</span>
          </span>
        )}
        {hasBody && (
          <Button size="sm" variant="ghost" onClick={() => onToggle(file.key)} aria-expanded={!collapsed}>
            {collapsed ? `Show ${count(lines)} lines` : "Hide"}
          </Button>
        )}
      </header>
      {file.binary ? (
        <p className="px-3 py-2 text-xs text-zinc-500">
          Binary file changed; its contents are not shown. Download the file from the branch to see it.
        </p>
      ) : !hasBody ? (
        <p className="px-3 py-2 text-xs text-zinc-500">No line changes (an empty file or a mode change).</p>
      ) : collapsed ? (
        <p className="px-3 py-2 text-xs text-zinc-500">Collapsed to keep the page responsive.</p>
      ) : (
        <div className="overflow-x-auto">
          <DiffBody file={file} viewType={viewType} />
        </div>
      )}
    </section>
  );
});
