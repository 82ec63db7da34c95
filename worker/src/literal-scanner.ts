/**
 * Patterns at least this long are found by sampling the text (see createLiteralScanner); shorter
 * ones by a plain search each. Every derived secret form is at least this long (MIN_FRAGMENT_LENGTH).
 */
const WINDOW = 8;
/**
 * Length of the sampled substrings (q-grams). Three rather than four: a sample every 6 characters
 * instead of every 5, at one fewer character read each, measured ~1.4× faster on log lines; the
 * filter still rejects almost every sample of ordinary text.
 */
const GRAM = 3;
/**
 * Distance between samples: any occurrence of a pattern of length ≥ WINDOW covers
 * [p, p + WINDOW), which holds a whole gram starting at a multiple of STEP.
 */
const STEP = WINDOW - GRAM + 1;
/** 2^20 bits (128 KiB): a few thousand patterns leave the filter almost empty, so few false hits. */
const FILTER_BITS = 20;

/** Returns the spans of text covered by any pattern, merged and in order, as flat [start, end) pairs. */
export type LiteralScanner = (text: string) => number[] | undefined;

/**
 * Finds every occurrence of any of many literal patterns (hundreds, up to thousands of characters
 * each) in one pass that costs about one hash per STEP characters when nothing matches — the common
 * case on a log line. Each pattern's first WINDOW characters give its grams at offsets
 * 0..WINDOW-GRAM; the text is sampled every STEP characters, and a sample whose gram is in the bit
 * filter is checked exactly against the patterns that have that gram at that offset. Every
 * occurrence is reported, overlapping ones included, so masking their union leaves no piece of a
 * longer form behind a shorter one that started earlier.
 */
export function createLiteralScanner(patterns: string[]): LiteralScanner {
  const long = patterns.filter((p) => p.length >= WINDOW);
  const short = patterns.filter((p) => p.length > 0 && p.length < WINDOW);
  const filter = new Uint32Array(1 << (FILTER_BITS - 5));
  /** gram → flat (pattern index, offset of the gram in the pattern) pairs. */
  const anchors = new Map<string, number[]>();
  long.forEach((pattern, index) => {
    for (let offset = 0; offset + GRAM <= WINDOW; offset++) {
      const h = gramHash(pattern, offset);
      filter[h >>> 5] |= 1 << (h & 31);
      const gram = pattern.slice(offset, offset + GRAM);
      const list = anchors.get(gram);
      if (list) list.push(index, offset);
      else anchors.set(gram, [index, offset]);
    }
  });

  return (text) => {
    let spans: number[] | undefined;
    const last = text.length - GRAM;
    for (let i = 0; i <= last; i += STEP) {
      const h = gramHash(text, i);
      if ((filter[h >>> 5] & (1 << (h & 31))) === 0) continue;
      const list = anchors.get(text.slice(i, i + GRAM));
      if (!list) continue;
      for (let k = 0; k < list.length; k += 2) {
        const pattern = long[list[k]];
        const start = i - list[k + 1];
        if (start >= 0 && text.startsWith(pattern, start)) (spans ??= []).push(start, start + pattern.length);
      }
    }
    for (const pattern of short) {
      for (let at = text.indexOf(pattern); at !== -1; at = text.indexOf(pattern, at + 1)) {
        (spans ??= []).push(at, at + pattern.length);
      }
    }
    return spans && mergeSpans(spans);
  };
}

/** A hash of the GRAM UTF-16 units at i, reduced to FILTER_BITS bits (multiply-xor mixing). */
function gramHash(s: string, i: number): number {
  let h = Math.imul(s.charCodeAt(i) + 1, 0x9e3779b1);
  h = Math.imul(h ^ s.charCodeAt(i + 1), 0x85ebca6b);
  h = Math.imul(h ^ s.charCodeAt(i + 2), 0xc2b2ae35);
  return (h ^ (h >>> 15)) >>> (32 - FILTER_BITS);
}

/** Sorts flat [start, end) pairs and merges the ones that overlap or touch. */
function mergeSpans(flat: number[]): number[] {
  const order = Array.from({ length: flat.length / 2 }, (_, i) => i).sort((a, b) => flat[2 * a] - flat[2 * b]);
  const merged: number[] = [];
  for (const i of order) {
    const start = flat[2 * i];
    const end = flat[2 * i + 1];
    if (merged.length && start <= merged[merged.length - 1]) merged[merged.length - 1] = Math.max(merged[merged.length - 1], end);
    else merged.push(start, end);
  }
  return merged;
}
