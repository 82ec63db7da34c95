// The workspace the dashboard acts in. The transport reads it on every request (x-workspace-id);
// the workspace switcher sets it. The choice is remembered per signed-in identity, so a shared
// browser does not carry one person's workspace over to the next key or person.
const REMEMBERED_PREFIX = "flightcontrol.workspace:";

type Listener = () => void;
const listeners = new Set<Listener>();
let current: string | null = null;

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}

/** The selected workspace's id, or null before one is chosen (the server then picks its default). */
export function getWorkspaceId(): string | null {
  return current;
}

export function setWorkspaceId(id: string | null): void {
  if (id === current) return;
  current = id;
  listeners.forEach((l) => l());
}

export function subscribeWorkspaceId(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** The workspace `identity` last chose in this browser. */
export function rememberedWorkspace(identity: string): string | null {
  return storage()?.getItem(REMEMBERED_PREFIX + identity) ?? null;
}

export function rememberWorkspace(identity: string, id: string): void {
  storage()?.setItem(REMEMBERED_PREFIX + identity, id);
}
