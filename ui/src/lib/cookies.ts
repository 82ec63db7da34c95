/** A cookie the page may read (not HttpOnly), or null. */
export function readCookie(name: string): string | null {
  const all = globalThis.document?.cookie ?? "";
  for (const part of all.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return null;
}
