import { loadServerConfig } from "../config";
import { fernetRotate } from "../domain/crypto/fernet";
import { loadMasterKeyring } from "../domain/crypto/master-key";
import { createCredentialStore } from "../storage/credential-store";
import { openDatabase } from "../storage/data-source";

/**
 * `npm run credentials:rotate`: re-encrypts every credential under the first key of ORCH_MASTER_KEY.
 * Rotation: put the new key first ("new,old"), run this, then drop the old key.
 */
const config = loadServerConfig();
const { keyring, source } = loadMasterKeyring({ envValue: config.masterKey, dataDir: config.dataDir });
const db = await openDatabase(config.databaseUrl);
const n = await createCredentialStore(db).resealAll((ciphertext) => fernetRotate(keyring, ciphertext));
console.log(`re-encrypted ${n} credential(s) under the first key from ${source === "env" ? "ORCH_MASTER_KEY" : "the data directory"}`);
await db.dataSource.destroy();
