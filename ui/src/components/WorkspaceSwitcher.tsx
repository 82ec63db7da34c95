import { useState } from "react";
import { useWorkspace } from "../hooks/useWorkspace";
import { errorMessage } from "../lib/errors";

/** The sidebar's workspace picker; a plain label when there is nothing to switch to. */
export function WorkspaceSwitcher() {
  const { workspaces, current, select } = useWorkspace();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (!current) return null;

  if (workspaces.length < 2) {
    return (
      <div className="px-4 pb-3 text-xs">
        <div className="text-zinc-500">Workspace</div>
        <div className="truncate font-medium text-zinc-200" data-testid="current-workspace">
          {current.name}
        </div>
      </div>
    );
  }

  async function change(id: string) {
    setBusy(true);
    setError(null);
    try {
      await select(id);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <div className="px-3 pb-3 text-xs">
      <label htmlFor="workspace-switcher" className="mb-1 block px-1 text-zinc-500">
        Workspace
      </label>
      <select
        id="workspace-switcher"
        className="w-full rounded-md border border-zinc-700 bg-zinc-900 px-2 py-1 text-sm text-zinc-100"
        value={current.id}
        disabled={busy}
        data-testid="current-workspace"
        onChange={(e) => void change(e.target.value)}
      >
        {workspaces.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name}
          </option>
        ))}
      </select>
      {!!error && (
        <p role="alert" className="mt-1 text-red-300">
          {errorMessage(error)}
        </p>
      )}
    </div>
  );
}
