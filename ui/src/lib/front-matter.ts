// SKILL.md starts with YAML front matter between "---" lines; the page shows those fields from the
// Skill message, so only the Markdown body is rendered (Markdown would turn the block into a rule
// and a heading).
const FRONT_MATTER = /^\uFEFF?---\r?\n[\s\S]*?\r?\n---[ \t]*(\r?\n|$)/;

/** The Markdown after the front matter (all of `md` when it has none). */
export function markdownBody(md: string): string {
  return md.replace(FRONT_MATTER, "");
}
