import { useState } from "react";

export interface ListKeys {
  /** One React key per row, by position. */
  keys: readonly number[];
  /** Call with the change that drops row `index`, so the rows after it keep their keys. */
  remove: (index: number) => void;
}

/**
 * React keys for the rows of an editable list whose items carry no id (form drafts). A row keeps its
 * key when a row before it is removed, so its inputs, focus and nested editors stay with it instead of
 * passing to the next row as index keys would. Rows added or dropped any other way (a preset applied,
 * a draft restored) are matched by position: new rows get new keys at the end.
 */
export function useListKeys(length: number): ListKeys {
  // Mutable per-hook state, like useLiveRuns' `pending`: rendering only ever brings it up to `length`.
  const [state] = useState(() => ({ keys: [] as number[], next: 0 }));
  while (state.keys.length < length) state.keys.push(state.next++);
  state.keys.length = length;
  return { keys: state.keys, remove: (index) => void state.keys.splice(index, 1) };
}
