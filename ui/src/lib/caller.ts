import { Role, type WhoAmIResponse } from "../gen/flightcontrol/v1/api_key_pb";

/** What the dashboard needs to know about whoever WhoAmI describes. */
export interface Caller {
  /** Stable per identity: per-user browser state (the chosen workspace) is remembered under it. */
  identityId: string;
  displayName: string;
  /** The role in the workspace the request acted in. */
  role: Role;
  instanceAdmin: boolean;
}

/**
 * Reads WhoAmI. The role is the one in the workspace acted in, not the key's own: a person has a
 * different role in each workspace. A server from before workspaces leaves `role` unset; a key's
 * own role is then the same thing (a workspace-bound key acts only in its workspace, an
 * instance-admin key is admin everywhere), and an admin key bound to no workspace is the instance admin.
 */
export function describeCaller(who: WhoAmIResponse): Caller | undefined {
  if (who.person) {
    const p = who.person;
    return { identityId: `person:${p.id}`, displayName: p.name || p.email, role: who.role, instanceAdmin: who.instanceAdmin || p.instanceAdmin };
  }
  if (who.apiKey) {
    const k = who.apiKey;
    const role = who.role || k.role;
    const instanceAdmin = who.instanceAdmin || (who.role === Role.UNSPECIFIED && k.role === Role.ADMIN && !k.workspaceId);
    return { identityId: `key:${k.id}`, displayName: k.name || "API key", role, instanceAdmin };
  }
  return undefined;
}
