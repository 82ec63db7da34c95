import { Role } from "../gen/flightcontrol/v1/api_key_pb";

export type Permission =
  | "jobs:write"
  | "runs:write"
  | "schedules:write"
  | "workers:drain"
  | "credentials:read"
  | "credentials:write"
  | "apikeys:manage"
  | "members:manage";

// Mirrors the server's role rules (docs/architecture.md §7) so the UI hides what a key may not do; the
// server still enforces them. The role is the caller's in the workspace the dashboard acts in
// (WhoAmI.role), which for a person differs from one workspace to the next.
const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  [Role.UNSPECIFIED]: new Set(),
  [Role.ADMIN]: new Set<Permission>([
    "jobs:write",
    "runs:write",
    "schedules:write",
    "workers:drain",
    "credentials:read",
    "credentials:write",
    "apikeys:manage",
    "members:manage",
  ]),
  [Role.OPERATOR]: new Set<Permission>(["jobs:write", "runs:write", "schedules:write", "workers:drain"]),
  [Role.VIEWER]: new Set(),
  [Role.WORKER]: new Set(),
};

export function roleCan(role: Role | undefined, permission: Permission): boolean {
  return role !== undefined && GRANTS[role].has(permission);
}

export const ROLE_LABEL: Record<Role, string> = {
  [Role.UNSPECIFIED]: "unknown",
  [Role.ADMIN]: "admin",
  [Role.OPERATOR]: "operator",
  [Role.VIEWER]: "viewer",
  [Role.WORKER]: "worker",
};

export const ROLE_DESCRIPTION: Record<Role, string> = {
  [Role.UNSPECIFIED]: "",
  [Role.ADMIN]: "Everything, including credentials and API keys.",
  [Role.OPERATOR]: "Jobs, runs, schedules and draining workers.",
  [Role.VIEWER]: "Read only.",
  [Role.WORKER]: "Only the worker session; not for the dashboard.",
};

/** The roles a person can hold in a workspace (worker is for keys only). */
export const MEMBER_ROLES: readonly Role[] = [Role.ADMIN, Role.OPERATOR, Role.VIEWER];
