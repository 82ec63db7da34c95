import { loadServerConfig } from "../config";
import { fernetRotate } from "../domain/crypto/fernet";
import { loadMasterKeyring } from "../domain/crypto/master-key";
import { createMcpSecrets } from "../domain/mcp/secrets";
import { createCredentialStore } from "../storage/credential-store";
import { openDatabase } from "../storage/data-source";
import { resealSealedSpecs } from "../storage/spec-reseal";

/**
 * `npm run credentials:rotate`: re-encrypts every credential, and every MCP literal sealed in a job
 * or run spec, under the first key of ORCH_MASTER_KEY.
 * Rotation: put the new key first ("new,old"), run this, then drop the old key.
 */
const config = loadServerConfig();
const { keyring, source } = loadMasterKeyring({ envValue: config.masterKey, dataDir: config.dataDir });
const db = await openDatabase(config.databaseUrl);
const n = await createCredentialStore(db).resealAll((ciphertext) => fernetRotate(keyring, ciphertext));
const specs = await resealSealedSpecs(db, createMcpSecrets(keyring).rotateJson);
console.log(
  `re-encrypted ${n} credential(s) and the MCP values of ${specs} job or run spec(s) under the first key from ${source === "env" ? "ORCH_MASTER_KEY" : "the data directory"}`,
);
await db.dataSource.destroy();
