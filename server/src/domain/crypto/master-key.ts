import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { FernetError, generateFernetKey, parseFernetKeys } from "./fernet";
import type { FernetKeyring } from "./fernet";

export const MASTER_KEY_FILE = "master.key";

export interface MasterKeyring {
  keyring: FernetKeyring;
  /** "generated" means a new key was just written to `path`: the caller should tell the operator to back it up. */
  source: "env" | "file" | "generated";
  path?: string;
}

function parseFrom(where: string, spec: string): FernetKeyring {
  try {
    return parseFernetKeys(spec);
  } catch (err) {
    if (err instanceof FernetError) throw new FernetError(err.code, `${where}: ${err.message}`, { cause: err });
    throw err;
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a directory; the file itself is already durable.
  }
}

/**
 * Writes via a temporary file and link() so that a concurrent starter never sees a half-written key and
 * never overwrites one: returns false when someone else created the file first.
 */
function createOnce(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, content);
    // Losing this key after credentials were encrypted under it would lose those credentials.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    fsyncDir(dirname(path));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * The server's master keyring: ORCH_MASTER_KEY when set, else `<dataDir>/master.key`, created with a fresh key
 * (mode 0600) on first start. An existing but unreadable or invalid key file is an error, never replaced.
 */
export function loadMasterKeyring(opts: { envValue?: string; dataDir: string }): MasterKeyring {
  if (opts.envValue !== undefined && opts.envValue.trim() !== "") {
    return { keyring: parseFrom("ORCH_MASTER_KEY", opts.envValue), source: "env" };
  }
  const path = join(opts.dataDir, MASTER_KEY_FILE);
  const existing = readIfExists(path);
  if (existing !== undefined) return { keyring: parseFrom(path, existing), source: "file", path };

  mkdirSync(opts.dataDir, { recursive: true });
  const key = generateFernetKey();
  if (createOnce(path, `${key}\n`)) return { keyring: parseFernetKeys(key), source: "generated", path };
  return { keyring: parseFrom(path, readFileSync(path, "utf8")), source: "file", path };
}
