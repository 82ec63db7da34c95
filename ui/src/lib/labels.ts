// Labels are edited as rows but shown compactly as k=v chips; these helpers convert between
// the map the API wants and the row list the editor keeps (rows keep order and allow blanks).
export interface KeyValueRow {
  key: string;
  value: string;
}

export function rowsToMap(rows: readonly KeyValueRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rows) {
    const k = r.key.trim();
    if (k) out[k] = r.value;
  }
  return out;
}

export function mapToRows(map: Record<string, string> | undefined): KeyValueRow[] {
  return Object.entries(map ?? {}).map(([key, value]) => ({ key, value }));
}

export function labelList(map: Record<string, string> | undefined): string[] {
  return Object.entries(map ?? {}).map(([k, v]) => (v ? `${k}=${v}` : k));
}
