import { createHash, randomBytes } from "node:crypto";
import { Role } from "../../gen/flightcontrol/v1/api_key_pb";
import type { Logger } from "../../logger";
import type { ApiKeyStore } from "../../storage/api-key-store";
import { DEFAULT_WORKSPACE_ID, type ApiKeyRow, type PersonRow } from "../../storage/entities";
import { inBackground } from "../background";
import { invalidArgument, notFound, unauthenticated } from "../errors";
import { newId } from "../ids";
import type { IdentityStreams } from "./identity-streams";

export const hashKey = (key: string): string => createHash("sha256").update(key).digest("hex");

/** "fc_" + 32 random bytes; the first 11 characters are kept for display. */
export function generateKey(): string {
  return `fc_${randomBytes(32).toString("base64url")}`;
}

/**
 * How long a key read from the database is trusted: the bound on another replica's revocation
 * reaching this one, for new requests (the cache below) and for open streams (revocation-sweep.ts).
 */
export const KEY_CACHE_TTL_MS = 2_000;

export const keyPrefix = (key: string): string => key.slice(0, 11);

export const roleToColumn = (role: Role): string => Role[role].toLowerCase();
export const roleFromColumn = (value: string): Role => Role[value.toUpperCase() as keyof typeof Role] ?? Role.UNSPECIFIED;

/** Who made a request: an API key, or a signed-in person (domain/auth/authenticate.ts). */
export interface Principal {
  /** The identity its streams are tracked under: the key's id, or the person's session's. */
  keyId: string;
  name: string;
  /** In the workspace the request acts in. */
  role: Role;
  /** Worker keys: the labels the key is bound to; empty when unbound. */
  workerLabels: Record<string, string>;
  /**
   * The workspace the key is bound to; null for an instance-admin key or person, which names one
   * per request. A person who is not instance admin is bound to the one the request acts in.
   */
  workspaceId: string | null;
  /** Set when a signed-in person made the request. */
  person?: PersonRow;
  /** A person who is not instance admin: the workspaces they are a member of. */
  memberOf?: readonly string[];
}

/** Where a key operation looks: the workspace the request acts in, and whether the caller is instance admin. */
export interface KeyScope {
  workspaceId: string;
  instanceAdmin: boolean;
}

/** What a stream opened with a key ends with once the key is revoked. */
export const keyRevoked = (name: string) =>
  unauthenticated(`API key was revoked (key "${name}"); this stream is closed, reconnect with an active key`);

export interface ApiKeysDeps {
  store: ApiKeyStore;
  log: Logger;
  /** Open streams by key id: a revocation ends the key's streams at once. */
  streams?: IdentityStreams;
}

export interface NewKeyOptions {
  /** The plaintext to register; generated if absent. */
  plaintext?: string;
  /** Worker keys only: the labels its workers may present (domain/dispatch/worker-hello.ts). */
  workerLabels?: Record<string, string>;
  /** The workspace the key acts in; null makes an instance-admin key (the bootstrap admin key only). */
  workspaceId: string | null;
  /** The signed-in person creating it (their email), whose keys go when they stop being an admin there. */
  createdBy?: string;
}

/**
 * Resolves bearer keys to principals. Active keys are cached by hash so an RPC costs no database
 * read; revocation updates the cache in the same process. last_used_at is written at most once a
 * minute per key.
 */
export function createApiKeys(deps: ApiKeysDeps) {
  const { store, log } = deps;
  /** Known keys only, each re-read after KEY_CACHE_TTL_MS so a revocation by another replica takes effect. */
  const cache = new Map<string, { row: ApiKeyRow; at: number }>();
  const touched = new Map<string, number>();

  async function lookup(key: string): Promise<Principal | undefined> {
    const hash = hashKey(key);
    const now = Date.now();
    let hit = cache.get(hash);
    if (!hit || now - hit.at > KEY_CACHE_TTL_MS) {
      const found = await store.byHash(hash);
      // Unknown keys are not remembered: anyone can invent them, without limit.
      if (!found) {
        cache.delete(hash);
        return undefined;
      }
      hit = { row: found, at: now };
      cache.set(hash, hit);
    }
    const row = hit.row;
    if (row.revokedAt) return undefined;
    if ((touched.get(row.id) ?? 0) < now - 60_000) {
      touched.set(row.id, now);
      row.lastUsedAt = now;
      // Bookkeeping only: the request does not wait for it, and a failed write must not fail the request.
      inBackground(log, "recording an API key's last use", () => store.touch(row.id, now), { keyId: row.id });
    }
    return {
      keyId: row.id,
      name: row.name,
      role: roleFromColumn(row.role),
      workerLabels: JSON.parse(row.workerLabels || "{}"),
      workspaceId: row.workspaceId,
    };
  }

  async function create(name: string, role: Role, opts: NewKeyOptions): Promise<{ row: ApiKeyRow; key: string }> {
    const plaintext = opts.plaintext ?? generateKey();
    const workerLabels = opts.workerLabels ?? {};
    if (Object.keys(workerLabels).length && role !== Role.WORKER) {
      throw invalidArgument(
        `worker_labels binds a worker key to labels; a ${roleToColumn(role)} key cannot have them: remove worker_labels or use role WORKER`,
      );
    }
    const row: ApiKeyRow = {
      id: newId(),
      name,
      role: roleToColumn(role),
      keyHash: hashKey(plaintext),
      prefix: keyPrefix(plaintext),
      createdAt: Date.now(),
      lastUsedAt: null,
      revokedAt: null,
      workerLabels: JSON.stringify(workerLabels),
      workspaceId: opts.workspaceId,
      createdBy: opts.createdBy ?? null,
    };
    await store.insert(row);
    cache.set(row.keyHash, { row, at: Date.now() });
    return { row, key: plaintext };
  }

  /**
   * Revokes the key (again is a no-op) and ends every stream open with it on this server (other
   * replicas: revocation-sweep.ts); NotFound if there is no such key.
   */
  async function revoke(scope: KeyScope | null, id: string): Promise<ApiKeyRow> {
    const row = await store.get(id);
    if (!row || (scope && !visibleIn(scope, row))) throw notFound("API key", id);
    if (!row.revokedAt) {
      row.revokedAt = Date.now();
      await store.revoke(id, row.revokedAt);
    }
    cache.set(row.keyHash, { row, at: Date.now() });
    const ended = deps.streams?.end(id, keyRevoked(row.name)) ?? 0;
    if (ended) log.info({ keyId: id, streams: ended }, "ended the streams of a revoked API key");
    return row;
  }

  /** A key is seen from its own workspace, and instance-admin keys by instance-admin callers. */
  const visibleIn = (scope: KeyScope, row: ApiKeyRow) => row.workspaceId === scope.workspaceId || (row.workspaceId === null && scope.instanceAdmin);

  /**
   * Makes sure a key of this role exists. The admin one is the install's instance-admin key (bound
   * to no workspace); the others act in the default workspace. A given key is registered if new; with none given, a key is
   * generated only when no active key of the role exists, and returned so the caller can print it once.
   */
  async function ensureBootstrapKey(name: string, role: Role, given?: string): Promise<string | undefined> {
    if (given) {
      const existing = await store.byHash(hashKey(given));
      if (!existing) await create(name, role, { plaintext: given, workspaceId: bootstrapWorkspace(role) });
      else if (existing.revokedAt || existing.role !== roleToColumn(role)) {
        throw new Error(`the configured ${name} key exists but is revoked or has another role; set a new one`);
      }
      return given;
    }
    if ((await store.countActive(roleToColumn(role))) > 0) return undefined;
    return (await create(name, role, { workspaceId: bootstrapWorkspace(role) })).key;
  }

  /**
   * Revokes every active key of a workspace (it is being deleted), or only those `createdBy` made
   * there (that person is no longer its admin: what they handed out goes with their rights); returns how many.
   */
  async function revokeAllIn(workspaceId: string, createdBy?: string): Promise<number> {
    const ids = await store.activeIn(workspaceId, createdBy);
    for (const id of ids) await revoke(null, id);
    return ids.length;
  }

  return {
    lookup,
    create,
    revoke,
    ensureBootstrapKey,
    revokeAllIn,
    list: (scope: KeyScope, includeRevoked: boolean) => store.list(scope.workspaceId, includeRevoked, scope.instanceAdmin),
    /** NotFound if there is no such key (or it is not visible from `scope`, when given). */
    async get(scope: KeyScope | null, id: string): Promise<ApiKeyRow> {
      const row = await store.get(id);
      if (!row || (scope && !visibleIn(scope, row))) throw notFound("API key", id);
      return row;
    },
  };
}

const bootstrapWorkspace = (role: Role): string | null => (role === Role.ADMIN ? null : DEFAULT_WORKSPACE_ID);

export type ApiKeys = ReturnType<typeof createApiKeys>;
