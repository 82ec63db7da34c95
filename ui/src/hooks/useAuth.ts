import { createContext, useContext } from "react";
import type { ApiKey, Role } from "../gen/flightcontrol/v1/api_key_pb";
import type { Permission } from "../lib/permissions";

export interface AuthState {
  /** The stored key, or null when signed out. */
  apiKey: string | null;
  /** What WhoAmI said about the key; undefined while loading or signed out. */
  identity: ApiKey | undefined;
  role: Role | undefined;
  loading: boolean;
  error: unknown;
  signIn: (key: string) => Promise<ApiKey>;
  signOut: () => void;
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
