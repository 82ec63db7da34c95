// The signed-in API key lives in localStorage so a reload keeps the session; everything that
// needs it (the transport interceptor, the auth provider) reads it through this module.
const STORAGE_KEY = "flightcontrol.apiKey";

type Listener = () => void;
const listeners = new Set<Listener>();

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    // Storage can throw in sandboxed iframes or with cookies disabled.
    return undefined;
  }
}

export function getApiKey(): string | null {
  return storage()?.getItem(STORAGE_KEY) ?? null;
}

export function setApiKey(key: string | null): void {
  const s = storage();
  if (key) s?.setItem(STORAGE_KEY, key);
  else s?.removeItem(STORAGE_KEY);
  listeners.forEach((l) => l());
}

export function subscribeApiKey(listener: Listener): () => void {
  listeners.add(listener);
  // Signing out in one tab signs out the others.
  const onStorage = (e: StorageEvent) => {
    if (e.key === STORAGE_KEY || e.key === null) listener();
  };
  globalThis.addEventListener?.("storage", onStorage);
  return () => {
    listeners.delete(listener);
    globalThis.removeEventListener?.("storage", onStorage);
  };
}

// A signed-in person's session lives in an HttpOnly cookie the page cannot see; the server
// refusing a request made with it (no Authorization header) is how the page learns it ended.
const sessionListeners = new Set<Listener>();

/** Tells the auth provider that the server refused the session cookie. */
export function reportSessionRefused(): void {
  sessionListeners.forEach((l) => l());
}

export function onSessionRefused(listener: Listener): () => void {
  sessionListeners.add(listener);
  return () => {
    sessionListeners.delete(listener);
  };
}
