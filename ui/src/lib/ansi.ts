import Anser from "anser";
import type { CSSProperties } from "react";

export interface AnsiSegment {
  text: string;
  className?: string;
  style?: CSSProperties;
}

const CUBE = [0, 95, 135, 175, 215, 255];

// Colours 16–255 of the xterm palette; 0–15 come back from anser as named classes.
function paletteColor(n: number): string {
  if (n >= 232) {
    const g = 8 + (n - 232) * 10;
    return `rgb(${g},${g},${g})`;
  }
  const i = n - 16;
  return `rgb(${CUBE[Math.floor(i / 36) % 6]},${CUBE[Math.floor(i / 6) % 6]},${CUBE[i % 6]})`;
}

function colour(cls: string | null, truecolor: string | null, layer: "fg" | "bg", classes: string[], style: CSSProperties): void {
  if (!cls) return;
  const prop = layer === "fg" ? "color" : "backgroundColor";
  if (cls === "ansi-truecolor" && truecolor) {
    style[prop] = `rgb(${truecolor})`;
  } else if (cls.startsWith("ansi-palette-")) {
    style[prop] = paletteColor(Number(cls.slice("ansi-palette-".length)));
  } else {
    classes.push(`${cls}-${layer}`);
  }
}

// Cheap pre-check: most log lines carry no escape codes at all.
const ESC = "\u001b";

/** Splits a line into styled segments; colours become `ansi-red-fg`-style classes (see index.css). */
export function ansiSegments(text: string): AnsiSegment[] {
  if (!text.includes(ESC)) return [{ text }];
  const out: AnsiSegment[] = [];
  for (const e of Anser.ansiToJson(text, { use_classes: true, remove_empty: true })) {
    if (!e.content) continue;
    const classes: string[] = [];
    const style: CSSProperties = {};
    colour(e.fg, e.fg_truecolor, "fg", classes, style);
    colour(e.bg, e.bg_truecolor, "bg", classes, style);
    for (const d of e.decorations ?? []) classes.push(`ansi-${d}`);
    out.push({
      text: e.content,
      className: classes.length ? classes.join(" ") : undefined,
      style: Object.keys(style).length ? style : undefined,
    });
  }
  return out;
}
