import { memo } from "react";
import { ansiSegments } from "../lib/ansi";

/** One line of terminal output with its ANSI colours as styled spans. */
export const AnsiText = memo(function AnsiText({ text }: { text: string }) {
  const segments = ansiSegments(text);
  if (segments.length === 1 && !segments[0]!.className && !segments[0]!.style) return <>{segments[0]!.text}</>;
  return (
    <>
      {segments.map((s, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the segments are a function of the line's text, never reordered, and hold no state.
        <span key={i} className={s.className} style={s.style}>
          {s.text}
        </span>
      ))}
    </>
  );
});
