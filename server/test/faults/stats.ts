/** Named samples in milliseconds, with a "clean" flag for samples no other fault overlapped. */
export interface Sample {
  name: string;
  ms: number;
  clean: boolean;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

/** One line per measure: n, p50, p95, max (clean samples only, when there are any). */
export function summarize(samples: Sample[]): string {
  const names = [...new Set(samples.map((s) => s.name))].sort();
  return names
    .map((name) => {
      const all = samples.filter((s) => s.name === name);
      const clean = all.filter((s) => s.clean);
      const used = (clean.length ? clean : all).map((s) => s.ms).sort((a, b) => a - b);
      const label = clean.length
        ? `n=${clean.length}${clean.length < all.length ? ` (+${all.length - clean.length} overlapped)` : ""}`
        : `n=${all.length} (all overlapped)`;
      return `  ${name.padEnd(62)} ${label.padEnd(22)} p50 ${String(pct(used, 50)).padStart(5)} ms  p95 ${String(pct(used, 95)).padStart(5)} ms  max ${String(used.at(-1)).padStart(5)} ms`;
    })
    .join("\n");
}
