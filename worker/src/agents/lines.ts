import { StringDecoder } from "node:string_decoder";

/** Lines longer than this are cut so one runaway line cannot exhaust memory. */
export const DEFAULT_MAX_LINE_CHARS = 8 * 1024 * 1024;

export interface LineSplitter {
  push(chunk: Buffer): void;
  /** Flushes a last line that had no newline. */
  end(): void;
}

/**
 * Turns byte chunks into complete lines: multi-byte UTF-8 characters split across chunks are
 * reassembled, a trailing CR is dropped (CRLF output), and over-long lines are cut into pieces.
 */
export function createLineSplitter(onLine: (line: string) => void, maxLineChars = DEFAULT_MAX_LINE_CHARS): LineSplitter {
  const decoder = new StringDecoder("utf8");
  let pending = "";

  /** Sends the start of `text` as lines of at most maxLineChars; returns what is left. */
  const cut = (text: string, keepRest: boolean): string => {
    let rest = text;
    while (rest.length > maxLineChars || (!keepRest && rest.length > 0)) {
      let at = Math.min(maxLineChars, rest.length);
      // Never separate the halves of a surrogate pair.
      const code = rest.charCodeAt(at - 1);
      if (at > 1 && at < rest.length && code >= 0xd800 && code <= 0xdbff) at -= 1;
      onLine(rest.slice(0, at));
      rest = rest.slice(at);
    }
    return rest;
  };

  const emit = (line: string) => {
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (text.length === 0) onLine("");
    else cut(text, false);
  };

  const take = (text: string) => {
    let start = 0;
    // Only the new text is scanned, so a long line arriving in many chunks stays linear.
    let nl = text.indexOf("\n");
    while (nl !== -1) {
      emit(pending + text.slice(start, nl));
      pending = "";
      start = nl + 1;
      nl = text.indexOf("\n", start);
    }
    pending = cut(pending + text.slice(start), true);
  };

  return {
    push: (chunk) => take(decoder.write(chunk)),
    end: () => {
      take(decoder.end());
      if (pending.length > 0) emit(pending);
      pending = "";
    },
  };
}
