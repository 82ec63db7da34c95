import { parseDiff, type FileData } from "react-diff-view";

/** One file of a run's diff, as the Changes tab lists it. */
export interface DiffFile {
  /** Stable within one diff: index and path. */
  key: string;
  /** The path after the change (before it, for a deleted file). */
  path: string;
  /** The path before a rename, otherwise undefined. */
  oldPath?: string;
  type: FileData["type"];
  /** git wrote "Binary files … differ": there are no lines to show. */
  binary: boolean;
  insertions: number;
  deletions: number;
  data: FileData;
}

/** Lines starting a file section in `git diff` output; hunk lines always start with " ", "+" or "-". */
const FILE_HEADER = /^diff --git /;
const BINARY = /^(Binary files .* differ|GIT binary patch)$/m;

/** The text of each file section, in order, so facts the parser drops can be read back per file. */
function fileSections(text: string): string[] {
  const sections: string[][] = [];
  for (const line of text.split("\n")) {
    if (FILE_HEADER.test(line)) sections.push([]);
    sections[sections.length - 1]?.push(line);
  }
  return sections.map((lines) => lines.join("\n"));
}

function clean(path: string): string {
  return path.replace(/\t$/, "");
}

/**
 * Parses the run's `changes.diff` (plain `git diff base head`) with react-diff-view's parser
 * (gitdiff-parser) and adds what the Changes tab needs: per-file +/− counts and whether the file is
 * binary. gitdiff-parser sees the "Binary files … differ" line only in some layouts, so that is read
 * from each file's own section instead; the parser makes exactly one file per "diff --git" line.
 */
export function parseChangesDiff(text: string): DiffFile[] {
  if (!text.trim()) return [];
  const files = parseDiff(text);
  const sections = fileSections(text);
  return files.map((data, i) => {
    let insertions = 0;
    let deletions = 0;
    for (const hunk of data.hunks) {
      for (const c of hunk.changes) {
        if (c.type === "insert") insertions++;
        else if (c.type === "delete") deletions++;
      }
    }
    // git ends a "+++ b/<path>" line with a tab when the path has a space; the parser keeps it.
    const path = clean(data.type === "delete" ? data.oldPath : data.newPath);
    const renamed = data.oldPath && data.newPath && data.oldPath !== data.newPath && data.type !== "add" && data.type !== "delete";
    return {
      key: `${i}:${path}`,
      path,
      oldPath: renamed ? clean(data.oldPath) : undefined,
      type: data.type,
      binary: data.isBinary === true || BINARY.test(sections[i] ?? ""),
      insertions,
      deletions,
      data,
    };
  });
}

export interface CollapseLimits {
  /** A file with more changed lines than this starts collapsed. */
  fileLines: number;
  /** Once this many lines are shown, the files after start collapsed. */
  totalLines: number;
}

/** Enough to read a typical change at once, little enough that rendering stays well under a second. */
export const DEFAULT_COLLAPSE: CollapseLimits = { fileLines: 400, totalLines: 2000 };

/** Lines a file takes on screen: every change of every hunk (context included). */
export function renderedLines(f: DiffFile): number {
  return f.data.hunks.reduce((n, h) => n + h.changes.length, 0);
}

/**
 * The files that start collapsed, so a large diff opens responsive: each one bigger than the
 * per-file limit, and every one after the total budget is spent. The user expands any of them.
 */
export function initiallyCollapsed(files: readonly DiffFile[], limits: CollapseLimits = DEFAULT_COLLAPSE): Set<string> {
  const collapsed = new Set<string>();
  let shown = 0;
  for (const f of files) {
    const lines = renderedLines(f);
    if (lines > limits.fileLines || shown + lines > limits.totalLines) {
      collapsed.add(f.key);
      continue;
    }
    shown += lines;
  }
  return collapsed;
}
