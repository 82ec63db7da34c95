import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FernetError, fernetDecrypt, fernetEncrypt, fernetRotate, generateFernetKey, parseFernetKeys } from "../src/domain/crypto/fernet";
import { loadMasterKeyring } from "../src/domain/crypto/master-key";
// Verbatim from github.com/fernet/spec at 20dead475f53f11d20592baf29ad697163afc0cd.
import generateVectors from "./fixtures/fernet/generate.json";
import invalidVectors from "./fixtures/fernet/invalid.json";
import verifyVectors from "./fixtures/fernet/verify.json";

const seconds = (iso: string) => Date.parse(iso) / 1000;
const timestampOf = (token: string) => Buffer.from(token, "base64url").readBigUInt64BE(1);

const dir = mkdtempSync(join(tmpdir(), "fc-fernet-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fernet spec vectors", () => {
  it.each(generateVectors)("generate: $src", (v) => {
    const token = fernetEncrypt(parseFernetKeys(v.secret), v.src, { now: seconds(v.now), iv: Buffer.from(v.iv) });
    expect(token).toBe(v.token);
  });

  it.each(verifyVectors)("verify: $src", (v) => {
    const plaintext = fernetDecrypt(parseFernetKeys(v.secret), v.token, { ttlSeconds: v.ttl_sec, now: seconds(v.now) });
    expect(plaintext.toString("utf8")).toBe(v.src);
  });

  it.each(invalidVectors)("invalid: $desc", (v) => {
    const decrypt = () => fernetDecrypt(parseFernetKeys(v.secret), v.token, { ttlSeconds: v.ttl_sec, now: seconds(v.now) });
    expect(decrypt).toThrow(FernetError);
  });
});

describe("fernet", () => {
  const keyring = parseFernetKeys(generateFernetKey());

  it("round-trips strings and bytes of any length with a fresh IV each time", () => {
    for (const text of ["", "x", "0123456789abcdef", "ünïcødé 🔑".repeat(50)]) {
      expect(fernetDecrypt(keyring, fernetEncrypt(keyring, text)).toString("utf8")).toBe(text);
    }
    const bytes = Buffer.from([0, 255, 128, 1, 2, 3]);
    expect(fernetDecrypt(keyring, fernetEncrypt(keyring, bytes)).equals(bytes)).toBe(true);
    expect(fernetEncrypt(keyring, "same")).not.toBe(fernetEncrypt(keyring, "same"));
  });

  it("emits padded url-safe base64 like Python", () => {
    const token = fernetEncrypt(keyring, "abc");
    expect(token).toMatch(/^gAAAAA[A-Za-z0-9_-]+={0,2}$/);
    expect(token.length % 4).toBe(0);
  });

  it("rejects tampering, wrong keys, and non-canonical encodings", () => {
    const token = fernetEncrypt(keyring, "secret value");
    const raw = Buffer.from(token, "base64url");
    for (const at of [0, 5, 12, 30, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[at] = (bad[at] ?? 0) ^ 1;
      expect(() => fernetDecrypt(keyring, bad.toString("base64url"))).toThrow(FernetError);
    }
    expect(() => fernetDecrypt(parseFernetKeys(generateFernetKey()), token)).toThrow(/any key/);
    expect(() => fernetDecrypt(keyring, token.replace(/=+$/, ""))).toThrow(/base64/);
    expect(() => fernetDecrypt(keyring, ` ${token}`)).toThrow(FernetError);
    expect(() => fernetDecrypt(keyring, "")).toThrow(FernetError);
  });

  it("checks age and clock skew only when a TTL is given, as Python does", () => {
    const token = fernetEncrypt(keyring, "t", { now: 1_000_000 });
    expect(() => fernetDecrypt(keyring, token, { ttlSeconds: 10, now: 1_000_010 })).not.toThrow();
    expect(() => fernetDecrypt(keyring, token, { ttlSeconds: 10, now: 1_000_011 })).toThrow(/expired/);
    expect(() => fernetDecrypt(keyring, token, { ttlSeconds: 10, now: 1_000_000 - 60 })).not.toThrow();
    expect(() => fernetDecrypt(keyring, token, { ttlSeconds: 10, now: 1_000_000 - 61 })).toThrow(/future/);
    // Stored credentials carry no TTL and must survive the clock going backwards.
    expect(fernetDecrypt(keyring, token, { now: 0 }).toString()).toBe("t");
  });

  it("rotates: new,old decrypts old tokens; rotate re-encrypts under the new key keeping the timestamp", () => {
    const oldKey = generateFernetKey();
    const newKey = generateFernetKey();
    const oldToken = fernetEncrypt(parseFernetKeys(oldKey), "db password", { now: 1_700_000_000 });
    const both = parseFernetKeys(`${newKey}, ${oldKey}`);
    expect(fernetDecrypt(both, oldToken).toString()).toBe("db password");
    expect(() => fernetDecrypt(parseFernetKeys(newKey), oldToken)).toThrow(FernetError);

    const rotated = fernetRotate(both, oldToken);
    expect(fernetDecrypt(parseFernetKeys(newKey), rotated).toString()).toBe("db password");
    expect(() => fernetDecrypt(parseFernetKeys(oldKey), rotated)).toThrow(FernetError);
    expect(timestampOf(rotated)).toBe(1_700_000_000n);
    expect(fernetEncrypt(both, "x").length).toBeGreaterThan(0);
    expect(() => fernetDecrypt(parseFernetKeys(oldKey), fernetEncrypt(both, "x"))).toThrow(FernetError);
  });

  it("accepts keys in Fernet.generate_key() format and refuses others without echoing them", () => {
    expect(generateFernetKey()).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(parseFernetKeys("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=\n").keys).toHaveLength(1);
    const good = generateFernetKey();
    const bad = [good.slice(0, 30), `${good.slice(0, 40)}!!!=`, Buffer.alloc(24, 7).toString("base64url"), `${good},`, "", "  "];
    for (const key of bad) {
      let error: unknown;
      try {
        parseFernetKeys(key);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FernetError);
      expect((error as FernetError).code).toBe("invalid-key");
      expect((error as Error).message).toMatch(/32 bytes in url-safe base64.*generate_key/);
      if (key.trim().length > 4) expect((error as Error).message).not.toContain(key.trim().slice(0, 20));
    }
  });

  it("keeps key material out of serialized keyrings and error messages", () => {
    const key = generateFernetKey();
    const ring = parseFernetKeys(key);
    const raw = Buffer.from(key, "base64url").toString("hex");
    expect(JSON.stringify(ring)).not.toContain(raw.slice(0, 16));
    const token = fernetEncrypt(ring, "plain-secret-text");
    expect(() => fernetDecrypt(parseFernetKeys(generateFernetKey()), token)).toThrow(/^invalid Fernet token: [a-z ]+$/);
  });
});

describe("master key", () => {
  it("generates <dataDir>/master.key once with mode 0600, creating the directory, and reuses it", () => {
    const dataDir = join(dir, "nested", "data");
    const first = loadMasterKeyring({ dataDir });
    expect(first.source).toBe("generated");
    expect(first.path).toBe(join(dataDir, "master.key"));
    expect(statSync(first.path!).mode & 0o777).toBe(0o600);
    const contents = readFileSync(first.path!, "utf8");
    expect(contents).toMatch(/^[A-Za-z0-9_-]{43}=\n$/);

    const second = loadMasterKeyring({ dataDir, envValue: "" });
    expect(second.source).toBe("file");
    expect(readFileSync(first.path!, "utf8")).toBe(contents);
    expect(fernetDecrypt(second.keyring, fernetEncrypt(first.keyring, "s")).toString()).toBe("s");
  });

  it("prefers ORCH_MASTER_KEY over the file", () => {
    const dataDir = join(dir, "env");
    const fromFile = loadMasterKeyring({ dataDir });
    const envKey = generateFernetKey();
    const fromEnv = loadMasterKeyring({ dataDir, envValue: `${envKey},${generateFernetKey()}` });
    expect(fromEnv.source).toBe("env");
    expect(fromEnv.path).toBeUndefined();
    expect(fromEnv.keyring.keys).toHaveLength(2);
    const token = fernetEncrypt(parseFernetKeys(envKey), "x");
    expect(fernetDecrypt(fromEnv.keyring, token).toString()).toBe("x");
    expect(() => fernetDecrypt(fromFile.keyring, token)).toThrow(FernetError);
  });

  it("refuses a broken key file or env value, naming where it came from but not the value", () => {
    const dataDir = join(dir, "broken");
    loadMasterKeyring({ dataDir });
    writeFileSync(join(dataDir, "master.key"), "not-a-key-at-all\n");
    expect(() => loadMasterKeyring({ dataDir })).toThrow(/master\.key: Fernet key #1 is not valid/);
    expect(() => loadMasterKeyring({ dataDir })).not.toThrow(/not-a-key-at-all/);
    expect(readFileSync(join(dataDir, "master.key"), "utf8")).toBe("not-a-key-at-all\n");
    expect(() => loadMasterKeyring({ dataDir, envValue: "hunter2" })).toThrow(/^ORCH_MASTER_KEY: (?!.*hunter2)/);
  });
});

const hasPythonCryptography = spawnSync("python3", ["-c", "import cryptography.fernet"]).status === 0;

describe("compatibility with Python's cryptography.fernet", () => {
  const python = (script: string, ...args: string[]) => execFileSync("python3", ["-c", script, ...args], { encoding: "utf8" }).trim();

  it.skipIf(!hasPythonCryptography)("decrypts Python tokens and Python decrypts ours", () => {
    const pyKey = python("from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())");
    const pyToken = python(
      "import sys; from cryptography.fernet import Fernet; print(Fernet(sys.argv[1]).encrypt(sys.argv[2].encode()).decode())",
      pyKey,
      "from python ✓",
    );
    expect(fernetDecrypt(parseFernetKeys(pyKey), pyToken).toString()).toBe("from python ✓");

    const tsKey = generateFernetKey();
    const tsToken = fernetEncrypt(parseFernetKeys(tsKey), "from node ✓");
    const decrypt = "import sys; from cryptography.fernet import Fernet; sys.stdout.buffer.write(Fernet(sys.argv[1]).decrypt(sys.argv[2], ttl=3600))";
    expect(python(decrypt, tsKey, tsToken)).toBe("from node ✓");

    // Python's MultiFernet rotating a token we made, and our rotation of a Python token read back by Python.
    const multi =
      "import sys; from cryptography.fernet import Fernet, MultiFernet; print(MultiFernet([Fernet(sys.argv[1]), Fernet(sys.argv[2])]).rotate(sys.argv[3]).decode())";
    const pyRotated = python(multi, pyKey, tsKey, tsToken);
    expect(fernetDecrypt(parseFernetKeys(pyKey), pyRotated).toString()).toBe("from node ✓");
    const tsRotated = fernetRotate(parseFernetKeys(`${tsKey},${pyKey}`), pyToken);
    expect(python(decrypt, tsKey, tsRotated)).toBe("from python ✓");
  });
});
