import { createHash, randomBytes } from "node:crypto";
import { IsNull, type DataSource } from "typeorm";
import { Role } from "../../gen/flightcontrol/v1/api_key_pb";
import { ApiKeyEntity, type ApiKeyRow } from "../../storage/entities";
import { newId } from "../ids";

export const hashKey = (key: string): string => createHash("sha256").update(key).digest("hex");

/** "fc_" + 32 random bytes; the first 11 characters are kept for display. */
export function generateKey(): string {
  return `fc_${randomBytes(32).toString("base64url")}`;
}

export const keyPrefix = (key: string): string => key.slice(0, 11);

export const roleToColumn = (role: Role): string => Role[role].toLowerCase();
export const roleFromColumn = (value: string): Role => Role[value.toUpperCase() as keyof typeof Role] ?? Role.UNSPECIFIED;

export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

/**
 * Resolves bearer keys to principals. Active keys are cached by hash so an RPC costs no database
 * read; revocation updates the cache in the same process. last_used_at is written at most once a
 * minute per key.
 */
export function createKeyStore(ds: DataSource) {
  const repo = ds.getRepository(ApiKeyEntity);
  /** Known keys only, each re-read after CACHE_TTL_MS so a revocation by another replica takes effect. */
  const cache = new Map<string, { row: ApiKeyRow; at: number }>();
  const CACHE_TTL_MS = 2_000;
  const touched = new Map<string, number>();

  async function lookup(key: string): Promise<Principal | undefined> {
    const hash = hashKey(key);
    const now = Date.now();
    let hit = cache.get(hash);
    if (!hit || now - hit.at > CACHE_TTL_MS) {
      const found = await repo.findOneBy({ keyHash: hash });
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
      void repo.update({ id: row.id }, { lastUsedAt: now }).catch(() => undefined);
    }
    return { keyId: row.id, name: row.name, role: roleFromColumn(row.role) };
  }

  async function create(name: string, role: Role, plaintext = generateKey()): Promise<{ row: ApiKeyRow; key: string }> {
    const row: ApiKeyRow = {
      id: newId(), name, role: roleToColumn(role), keyHash: hashKey(plaintext), prefix: keyPrefix(plaintext),
      createdAt: Date.now(), lastUsedAt: null, revokedAt: null,
    };
    await repo.insert(row);
    cache.set(row.keyHash, { row, at: Date.now() });
    return { row, key: plaintext };
  }

  async function revoke(id: string): Promise<ApiKeyRow | undefined> {
    const row = await repo.findOneBy({ id });
    if (!row) return undefined;
    if (!row.revokedAt) {
      row.revokedAt = Date.now();
      await repo.update({ id }, { revokedAt: row.revokedAt });
    }
    cache.set(row.keyHash, { row, at: Date.now() });
    return row;
  }

  /**
   * Makes sure a key of this role exists. A given key is registered if new; with none given, a key is
   * generated only when no active key of the role exists, and returned so the caller can print it once.
   */
  async function ensureBootstrapKey(name: string, role: Role, given?: string): Promise<string | undefined> {
    if (given) {
      const existing = await repo.findOneBy({ keyHash: hashKey(given) });
      if (!existing) await create(name, role, given);
      else if (existing.revokedAt || existing.role !== roleToColumn(role)) {
        throw new Error(`the configured ${name} key exists but is revoked or has another role; set a new one`);
      }
      return given;
    }
    const active = await repo.createQueryBuilder("k")
      .where("k.role = :role AND k.revokedAt IS NULL", { role: roleToColumn(role) }).getCount();
    if (active > 0) return undefined;
    return (await create(name, role)).key;
  }

  return { lookup, create, revoke, ensureBootstrapKey, list: (includeRevoked: boolean) =>
    repo.find({ where: includeRevoked ? {} : { revokedAt: IsNull() }, order: { id: "ASC" } }), get: (id: string) => repo.findOneBy({ id }) };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
