import { useCallback, useState } from "react";

/** A form's draft with shallow patch updates. */
export function useFormDraft<T extends object>(initial: T | (() => T)) {
  const [draft, setDraft] = useState<T>(initial);
  const patch = useCallback((p: Partial<T>) => setDraft((d) => ({ ...d, ...p })), []);
  return [draft, patch, setDraft] as const;
}
