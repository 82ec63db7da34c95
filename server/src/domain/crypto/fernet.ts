import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, timingSafeEqual } from "node:crypto";
import type { KeyObject } from "node:crypto";

/**
 * Fernet (https://github.com/fernet/spec), byte-compatible with Python's `cryptography.fernet`, so keys and
 * stored credentials move freely between a Python deployment and this server.
 */

// KeyObjects rather than Buffers so that logging a keyring by accident prints no key bytes.
export interface FernetKey {
  readonly signing: KeyObject;
  readonly encryption: KeyObject;
}

/** Like Python's MultiFernet: the first key encrypts, every key is tried to decrypt. */
export interface FernetKeyring {
  readonly keys: readonly [FernetKey, ...FernetKey[]];
}

export type FernetErrorCode = "invalid-key" | "invalid-token" | "expired";

/** Messages name what was wrong, never key material or plaintext. */
export class FernetError extends Error {
  override readonly name = "FernetError";
  constructor(
    readonly code: FernetErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const VERSION = 0x80;
const HEADER = 1 + 8 + 16;
const MAC = 32;
const BLOCK = 16;
export const FERNET_MAX_CLOCK_SKEW_SECONDS = 60;

const KEY_FORMAT = 'expected 32 bytes in url-safe base64 (44 characters ending in "="), as Python\'s Fernet.generate_key() produces';

// Python emits padded url-safe base64; Node's "base64url" drops the padding.
function toBase64UrlPadded(buf: Buffer): string {
  return buf.toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

export function generateFernetKey(): string {
  return toBase64UrlPadded(randomBytes(32));
}

function parseOneKey(text: string, position: number): FernetKey {
  const where = `Fernet key #${position}`;
  // Python's decoder also takes the standard alphabet and so does this one, so no key Python accepts is refused.
  if (!/^[A-Za-z0-9_+/-]{43}=?$/.test(text)) {
    const why = /[^A-Za-z0-9_+/=-]/.test(text) ? "it has characters outside base64" : `it is ${text.length} characters long`;
    throw new FernetError("invalid-key", `${where} is not valid: ${why}; ${KEY_FORMAT}`);
  }
  const raw = Buffer.from(text.replace(/=$/, ""), "base64");
  return { signing: createSecretKey(raw.subarray(0, 16)), encryption: createSecretKey(raw.subarray(16, 32)) };
}

/** Parses one key or a comma-separated list (newest first), e.g. the value of ORCH_MASTER_KEY. */
export function parseFernetKeys(spec: string): FernetKeyring {
  const parts = spec
    .trim()
    .split(",")
    .map((p) => p.trim());
  if (parts.length === 1 && parts[0] === "") {
    throw new FernetError("invalid-key", `no Fernet key given; ${KEY_FORMAT}`);
  }
  const keys = parts.map((p, i) => {
    if (p === "") throw new FernetError("invalid-key", `Fernet key #${i + 1} is empty (stray comma?); ${KEY_FORMAT}`);
    return parseOneKey(p, i + 1);
  });
  return { keys: keys as [FernetKey, ...FernetKey[]] };
}

function sign(key: FernetKey, body: Buffer): Buffer {
  return createHmac("sha256", key.signing).update(body).digest();
}

function encryptAt(key: FernetKey, plaintext: Buffer, timestamp: bigint, iv: Buffer): string {
  const cipher = createCipheriv("aes-128-cbc", key.encryption, iv);
  const head = Buffer.alloc(9);
  head[0] = VERSION;
  head.writeBigUInt64BE(timestamp, 1);
  const body = Buffer.concat([head, iv, cipher.update(plaintext), cipher.final()]);
  return toBase64UrlPadded(Buffer.concat([body, sign(key, body)]));
}

function nowSeconds(now: number | undefined): bigint {
  const t = now ?? Date.now() / 1000;
  if (!Number.isFinite(t) || t < 0) throw new RangeError("now must be a non-negative number of Unix seconds");
  return BigInt(Math.floor(t));
}

export interface FernetEncryptOptions {
  /** Unix time in seconds (not milliseconds), like Python's encrypt_at_time. */
  now?: number;
  /** Only for reproducing test vectors; a fixed IV reused across messages breaks confidentiality. */
  iv?: Buffer;
}

export function fernetEncrypt(keyring: FernetKeyring, plaintext: Buffer | string, opts: FernetEncryptOptions = {}): string {
  const iv = opts.iv ?? randomBytes(16);
  if (iv.length !== 16) throw new RangeError("iv must be 16 bytes");
  const data = typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext;
  return encryptAt(keyring.keys[0], data, nowSeconds(opts.now), iv);
}

interface ParsedToken {
  timestamp: bigint;
  body: Buffer;
  mac: Buffer;
}

const invalid = (why: string) => new FernetError("invalid-token", `invalid Fernet token: ${why}`);

function parseToken(token: string): ParsedToken {
  // Strict canonical padded base64url: Python only emits this form, and leniency would let one token have many spellings.
  if (typeof token !== "string" || token.length % 4 !== 0 || !/^[A-Za-z0-9_-]*={0,2}$/.test(token)) {
    throw invalid("not padded url-safe base64");
  }
  const data = Buffer.from(token, "base64url");
  if (data.toString("base64url") !== token.replace(/=+$/, "")) throw invalid("not canonical base64");
  if (data.length < 1 || data[0] !== VERSION) throw invalid("unknown version");
  const cipherLength = data.length - HEADER - MAC;
  if (cipherLength < BLOCK || cipherLength % BLOCK !== 0) throw invalid("wrong length");
  return { timestamp: data.readBigUInt64BE(1), body: data.subarray(0, data.length - MAC), mac: data.subarray(data.length - MAC) };
}

/** "bad-mac" or "bad-padding" when this key cannot open the token; the next key then gets its turn, as in MultiFernet. */
function openWith(key: FernetKey, t: ParsedToken): Buffer | "bad-mac" | "bad-padding" {
  if (!timingSafeEqual(sign(key, t.body), t.mac)) return "bad-mac";
  const decipher = createDecipheriv("aes-128-cbc", key.encryption, t.body.subarray(9, HEADER));
  try {
    return Buffer.concat([decipher.update(t.body.subarray(HEADER)), decipher.final()]);
  } catch {
    return "bad-padding";
  }
}

function open(keyring: FernetKeyring, t: ParsedToken): Buffer {
  let signed = false;
  for (const key of keyring.keys) {
    const result = openWith(key, t);
    if (Buffer.isBuffer(result)) return result;
    signed ||= result === "bad-padding";
  }
  // A valid MAC is checked first, so reporting the padding failure is no padding oracle.
  throw invalid(signed ? "signature valid but padding is corrupt" : "signature does not match any key");
}

export interface FernetDecryptOptions {
  /** Maximum token age. Without it, as in Python, neither age nor clock skew is checked. */
  ttlSeconds?: number;
  /** Unix time in seconds (not milliseconds). */
  now?: number;
}

export function fernetDecrypt(keyring: FernetKeyring, token: string, opts: FernetDecryptOptions = {}): Buffer {
  const t = parseToken(token);
  // Time is checked before the MAC, as the spec orders it; the timestamp is public anyway.
  if (opts.ttlSeconds !== undefined) {
    if (!Number.isFinite(opts.ttlSeconds) || opts.ttlSeconds < 0) throw new RangeError("ttlSeconds must be a non-negative number");
    const now = nowSeconds(opts.now);
    if (t.timestamp + BigInt(Math.floor(opts.ttlSeconds)) < now) {
      throw new FernetError("expired", `Fernet token expired (older than ${opts.ttlSeconds}s)`);
    }
    if (now + BigInt(FERNET_MAX_CLOCK_SKEW_SECONDS) < t.timestamp) {
      throw invalid(`timestamp more than ${FERNET_MAX_CLOCK_SKEW_SECONDS}s in the future`);
    }
  }
  return open(keyring, t);
}

/**
 * Re-encrypts under the first key with a fresh IV. Keeps the original timestamp, as Python's MultiFernet.rotate
 * does, so a TTL still counts from when the secret was first written.
 */
export function fernetRotate(keyring: FernetKeyring, token: string): string {
  const t = parseToken(token);
  return encryptAt(keyring.keys[0], open(keyring, t), t.timestamp, randomBytes(16));
}
