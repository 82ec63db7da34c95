import { createContext, useContext } from "react";
import type { ApiKey, Person, Role } from "../gen/flightcontrol/v1/api_key_pb";
import type { Permission } from "../lib/permissions";

export interface AuthState {
  /** The stored key, or null when signed out or signed in by session. */
  apiKey: string | null;
  /** How the dashboard is signed in: a pasted API key, or a person's session cookie (identity provider). */
  method: "key" | "session" | null;
  /** The key WhoAmI described; undefined while loading, signed out or signed in by session. */
  identity: ApiKey | undefined;
  /** The signed-in person (session only). */
  person: Person | undefined;
  /** Stable per identity ("key:<id>" or "person:<id>"): what per-user browser state is remembered under. */
  identityId: string | undefined;
  /** The person's name or email, or the key's name. */
  displayName: string;
  /** The caller's role in the workspace the dashboard acts in. */
  role: Role | undefined;
  /** May create and delete workspaces and act in any of them. */
  instanceAdmin: boolean;
  /** The workspace WhoAmI answered for ("" from a server that does not say). */
  workspaceId: string;
  loading: boolean;
  error: unknown;
  signIn: (key: string) => Promise<ApiKey>;
  /** Forgets the key, or ends the session on the server (which can fail: the caller shows why). */
  signOut: () => Promise<void>;
  can: (permission: Permission) => boolean;
}

export const AuthContext = createContext<AuthState | null>(null);

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth outside <AuthProvider>");
  return ctx;
}

export function useCan(permission: Permission): boolean {
  return useAuth().can(permission);
}
