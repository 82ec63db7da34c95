// Mirrors server/src/domain/parameters/placeholders.ts: `{{name}}` or `{{ name }}` with a name as
// parameters are written; anything else between braces (e.g. `{{ a.b }}`) is not a placeholder.
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g;

/** The parameter names `text` refers to, in order of first use. */
export function placeholderNames(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

/** `text` with each known placeholder replaced by its value, in one pass (as a run is created). */
export function fillPlaceholders(text: string, values: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(values, name) ? (values[name] as string) : whole));
}
